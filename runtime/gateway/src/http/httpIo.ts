import type { IncomingMessage, ServerResponse } from 'node:http';
import type { BufferHold } from './BufferedBytes';
import { ErrorShape, OPENAI_ERRORS } from './ErrorShape';
import { GatewayError } from './GatewayError';
import { findTooDeepNesting, MAX_JSON_DEPTH } from './jsonNesting';

/**
 * Reads a request body up to `limit` bytes; a larger one is refused with 413. With a `hold`,
 * each chunk is taken from the replica's buffered bytes, and a body the replica has no room
 * for is refused with 503 (`GatewayError.overloaded`); the rest of it is read and dropped.
 */
export function readBody(
  req: IncomingMessage,
  limit: number,
  hold?: BufferHold,
): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (declared > limit) {
    return Promise.reject(tooLarge(limit));
  }
  const encoding = req.headers['content-encoding']?.trim().toLowerCase();
  if (encoding && encoding !== 'identity') {
    return Promise.reject(unsupportedEncoding(encoding));
  }
  // A declared length is taken at once: bodies that arrive together then go through one by
  // one as they fit, rather than each read in part until none fits.
  const prepaid = hold && declared > 0 ? declared : 0;
  if (hold && prepaid > 0 && !hold.take(prepaid)) {
    return Promise.reject(
      hold.released ? leftMidBody() : GatewayError.overloaded('its body'),
    );
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const refuse = (error: GatewayError) => {
      req.removeAllListeners('data');
      req.resume();
      reject(error);
    };
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        refuse(tooLarge(limit));
      } else if (
        hold &&
        size > prepaid &&
        // Its bytes beyond the length it declared (a chunked body declares none).
        !hold.take(size - Math.max(prepaid, size - chunk.length))
      ) {
        refuse(
          hold.released ? leftMidBody() : GatewayError.overloaded('its body'),
        );
      } else {
        chunks.push(chunk);
      }
    });
    req.on('end', () =>
      resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)),
    );
    // The client went away mid-body: its request ends there, not as a fault of the gateway.
    req.on('error', () => reject(leftMidBody()));
  });
}

function leftMidBody(): GatewayError {
  return new GatewayError(
    499,
    'client_closed_request',
    'the client closed the connection before it sent its whole request',
    'client-cancelled',
  );
}

/** A compressed body would read as invalid JSON, and inflating it would bypass the size cap. */
function unsupportedEncoding(encoding: string): GatewayError {
  return new GatewayError(
    415,
    'unsupported_content_encoding',
    `header content-encoding ${JSON.stringify(
      encoding.slice(0, 40),
    )} is not supported: send the body uncompressed`,
    'invalid-request',
    { param: 'content-encoding' },
  );
}

function tooLarge(limit: number): GatewayError {
  return new GatewayError(
    413,
    'request_too_large',
    `request body exceeds ${limit} bytes`,
    'invalid-request',
  );
}

/**
 * Parses a JSON object body; anything else is a 400. A body nested deeper than
 * MAX_JSON_DEPTH is refused before parsing, naming the top-level field that holds it.
 */
export function parseJsonObject(body: Buffer): Record<string, unknown> {
  const tooDeep = findTooDeepNesting(body);
  if (tooDeep) {
    throw GatewayError.invalid(
      `${
        tooDeep.field || 'request body'
      } is nested deeper than ${MAX_JSON_DEPTH} levels`,
      tooDeep.field || undefined,
    );
  }
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

/**
 * Whether a request answered now would leave more than `limit` bytes of body to read: one
 * declared larger, or chunked (of no declared size), and not read to its end. Node reads and
 * drops the rest of an answered request's body to keep its connection; that costs at most
 * `limit` for a body within it, and lets a client still uploading (Python's, which stops at a
 * closed connection) read its answer.
 */
export function bodyBeyond(req: IncomingMessage, limit: number): boolean {
  if (req.complete) return false;
  if (req.headers['transfer-encoding'] !== undefined) return true;
  return Number(req.headers['content-length'] ?? 0) > limit;
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
  shape: ErrorShape = OPENAI_ERRORS,
  sequence?: number,
): void {
  if (res.headersSent) {
    endStreamWithError(res, error, shape, sequence);
    return;
  }
  const retryAfter = error.options.retryAfterSeconds;
  sendJson(res, error.status, shape.body(error), {
    ...headers,
    ...(retryAfter !== undefined ? { 'retry-after': String(retryAfter) } : {}),
    // The rest of a body refused unread (over the limit, or compressed) is not read: the
    // connection ends with the answer, or a client still sending would get a second one (408)
    // when its request times out.
    ...(error.status === 413 || error.status === 415
      ? { connection: 'close' }
      : {}),
  });
}

/**
 * A failure after an SSE stream has started: OpenAI's clients read an `error` event as the
 * failure it is, where a cut connection would look like a network fault. Anything else that
 * already sent its headers can only be cut.
 */
function endStreamWithError(
  res: ServerResponse,
  error: GatewayError,
  shape: ErrorShape,
  sequence: number | undefined,
): void {
  const type = String(res.getHeader('content-type') ?? '');
  if (!type.startsWith('text/event-stream') || res.writableEnded) {
    res.destroy();
    return;
  }
  res.end(shape.streamEvent(error, sequence));
}

/**
 * The caller's API key: the token of an `Authorization: Bearer` header, or, where
 * `orApiKeyHeader` (Anthropic's SDKs send it), the `x-api-key` header; else undefined.
 */
export function apiKeyOf(
  req: IncomingMessage,
  orApiKeyHeader: boolean,
): string | undefined {
  const bearer = bearerToken(req);
  if (!orApiKeyHeader) return bearer;
  const header = req.headers['x-api-key'];
  const key = typeof header === 'string' ? header.trim() : '';
  if (bearer !== undefined && key.length > 0 && key !== bearer) {
    // Two keys, maybe of two tenants: a proxy in front may have read the other one, and the
    // request would be billed to a tenant it did not mean.
    throw GatewayError.invalid(
      'the Authorization header and x-api-key carry different keys: send one',
      'x-api-key',
    );
  }
  return bearer ?? (key.length > 0 ? key : undefined);
}

/**
 * The token of an `Authorization: Bearer` header (the scheme in any case, RFC 7235), or
 * undefined. Two Authorization headers are refused (400): Node keeps the first, a proxy in
 * front may have read the other, and the key checked would not be the one it meant.
 */
export function bearerToken(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  if (header === undefined) return undefined;
  if (repeated(req, 'authorization')) {
    throw GatewayError.invalid(
      'two Authorization headers: send one',
      'authorization',
    );
  }
  if (!/^bearer /i.test(header)) {
    return undefined;
  }
  const token = header.slice(7).trim();
  return token.length > 0 ? token : undefined;
}

/** Whether the request carries header `name` (in lower case) more than once. */
function repeated(req: IncomingMessage, name: string): boolean {
  const raw = req.rawHeaders;
  let seen = 0;
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i].length === name.length && raw[i].toLowerCase() === name) {
      seen += 1;
      if (seen > 1) return true;
    }
  }
  return false;
}
