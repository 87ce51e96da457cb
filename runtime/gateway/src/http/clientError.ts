import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';

/**
 * Connections cut at the request timeout (GATEWAY_REQUEST_TIMEOUT_MS): a request on one was
 * cut off by the gateway for sending too slowly, not left by its caller.
 */
const cutAtRequestTimeout = new WeakSet<object>();

/** Whether `socket` was cut at the request timeout. */
export function wasCutAtRequestTimeout(socket: object | null): boolean {
  return socket !== null && cutAtRequestTimeout.has(socket);
}

/** How long an answered connection's client has to take the answer before it is cut. */
const CLOSE_WITHIN_MS = 1_000;

/** What Node's HTTP parser refuses, as the status and code a caller reads. */
function refusalOf(error: NodeJS.ErrnoException): {
  status: number;
  code: string;
  message: string;
} {
  switch (error.code) {
    case 'HPE_HEADER_OVERFLOW':
      return {
        status: 431,
        code: 'headers_too_large',
        message: 'request headers are larger than 16 KB',
      };
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return {
        status: 413,
        code: 'chunk_extensions_too_large',
        message: 'chunk extensions are larger than Node takes',
      };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return {
        status: 408,
        code: 'request_timeout',
        message: 'the request was not received in time',
      };
    default:
      return {
        status: 400,
        code: 'malformed_request',
        // The parser's reason names the rule broken, never the bytes that broke it.
        message: `malformed HTTP request: ${
          (error as { reason?: unknown }).reason ?? error.code ?? 'unreadable'
        }`,
      };
  }
}

/**
 * Answers what Node's HTTP parser refuses before any request exists (headers over 16 KB,
 * broken framing, a request not received in time) in OpenAI's error shape, as every other
 * error, and closes the connection: Node's own answers carry no body. A connection whose
 * current answer has begun, or that is gone, is closed without one: bytes written now would
 * be read as part of that answer.
 */
export function answerClientError(error: Error, socket: Duplex): void {
  const answering = (socket as { _httpMessage?: { headersSent?: boolean } })
    ._httpMessage;
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') cutAtRequestTimeout.add(socket);
  if (code === 'ECONNRESET' || !socket.writable || answering?.headersSent) {
    socket.destroy();
    return;
  }
  const { status, code: errorCode, message } = refusalOf(error);
  const body = JSON.stringify({
    error: {
      message,
      type: 'invalid_request_error',
      param: null,
      code: errorCode,
    },
  });
  socket.end(
    [
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}`,
      'Content-Type: application/json',
      `Content-Length: ${Buffer.byteLength(body)}`,
      'Connection: close',
      '',
      body,
    ].join('\r\n'),
  );
  // The server keeps a connection's reading side open after its answer (half-open sockets):
  // it is closed once the answer is out, or at most a second later for a client not reading.
  const cut = setTimeout(() => socket.destroy(), CLOSE_WITHIN_MS);
  socket.once('finish', () => {
    clearTimeout(cut);
    socket.destroy();
  });
}
