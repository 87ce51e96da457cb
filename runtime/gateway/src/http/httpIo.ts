import type { IncomingMessage, ServerResponse } from 'node:http';
import { GatewayError } from './GatewayError';

/** Reads a request body up to `limit` bytes; a larger one is refused with 413. */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (declared > limit) {
    return Promise.reject(tooLarge(limit));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.resume();
        reject(tooLarge(limit));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () =>
      resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)),
    );
    req.on('error', reject);
  });
}

function tooLarge(limit: number): GatewayError {
  return new GatewayError(
    413,
    'request_too_large',
    `request body exceeds ${limit} bytes`,
    'invalid-request',
  );
}

/** Parses a JSON object body; anything else is a 400. */
export function parseJsonObject(body: Buffer): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    throw GatewayError.invalid('request body is not valid JSON');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw GatewayError.invalid('request body must be a JSON object');
  }
  return parsed as Record<string, unknown>;
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  sendRaw(res, status, Buffer.from(JSON.stringify(body)), headers);
}

export function sendRaw(
  res: ServerResponse,
  status: number,
  payload: Buffer,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': payload.length,
    ...headers,
  });
  res.end(payload);
}

export function sendError(
  res: ServerResponse,
  error: GatewayError,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const retryAfter = error.options.retryAfterSeconds;
  sendJson(res, error.status, error.toBody(), {
    ...headers,
    ...(retryAfter !== undefined ? { 'retry-after': String(retryAfter) } : {}),
  });
}

/** The token of an `Authorization: Bearer` header, or undefined. */
export function bearerToken(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  if (!header || !header.startsWith('Bearer ')) {
    return undefined;
  }
  const token = header.slice(7).trim();
  return token.length > 0 ? token : undefined;
}
