import type { IncomingMessage, ServerResponse } from 'node:http';

/** The most a simulator request body may hold; larger bodies get 413. */
export const MAX_BODY_BYTES = 4 * 1024 * 1024;

/** An error the simulator answers with a status and an OpenAI-shaped error body. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly type = 'invalid_request_error',
    readonly param?: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/** Reads and parses a JSON request body, refusing bodies over the limit. */
export async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) {
      throw new HttpError(413, `request body exceeds ${MAX_BODY_BYTES} bytes`);
    }
    chunks.push(chunk as Buffer);
  }
  if (size === 0) {
    return {};
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new HttpError(400, 'request body is not valid JSON');
  }
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(payload),
    ...headers,
  });
  res.end(payload);
}

/** Answers in OpenAI's error shape, or Anthropic's when `anthropic` is set. */
export function sendError(
  res: ServerResponse,
  error: HttpError,
  options: { anthropic?: boolean; headers?: Record<string, string> } = {},
): void {
  const body = options.anthropic
    ? { type: 'error', error: { type: error.type, message: error.message } }
    : {
        error: {
          message: error.message,
          type: error.type,
          param: error.param ?? null,
          code: null,
        },
      };
  sendJson(res, error.status, body, options.headers);
}

/** Resolves after `ms`, or early (rejecting) when the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0) {
    return signal?.aborted
      ? Promise.reject(new Error('aborted'))
      : Promise.resolve();
  }
  return new Promise((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined = undefined;
    const onAbort = () => {
      clearTimeout(timer);
      reject(new Error('aborted'));
    };
    timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
