import { Agent, Dispatcher, request } from 'undici';
import type { BufferHold } from '../http/BufferedBytes';
import { retryAfterSeconds } from './retryAfter';
import { MIN_CREDENTIAL_LENGTH } from './upstreamSecret';
import type { UpstreamFailure } from './types';

export type UpstreamResponse = Dispatcher.ResponseData;

/** The part of undici's request handler `post` watches. */
interface SentWatch {
  onConnect?: (...args: unknown[]) => unknown;
}

/**
 * The most bytes of an answer read into memory by default: a JSON answer is parsed whole, and
 * parsing takes several times its size. The largest answer a request can ask for, 2,048
 * embeddings of 3,072 floats written with 17 digits each and indented, is about 183 MiB.
 */
export const DEFAULT_MAX_ANSWER_BYTES = 256 * 1024 * 1024;

/**
 * A refusal's body read at most: its message is at the start; the rest of a larger one is
 * not read, and its status alone classifies it.
 */
const MAX_REFUSAL_BYTES = 1024 * 1024;

/** A whole 2xx answer, read into memory: what a call that is not streamed needs. */
export interface BufferedAnswer {
  statusCode: number;
  body: Buffer;
}

/**
 * The gateway's one HTTP client to upstreams: a keep-alive connection pool per origin (undici),
 * timeouts to first byte and between stream chunks, and failures classified for fallback.
 */
export class UpstreamHttp {
  private readonly agent: Agent;
  private readonly originOverride?: string;
  private readonly maxAnswerBytes: number;
  /** A JSON answer's whole body must come within this of its headers. */
  private readonly answerTimeoutMs: number;
  /**
   * The longest a stream may go without a complete event: undici's body timeout counts any
   * byte, so an upstream that trickles one at a time would hold the request for ever.
   */
  readonly eventTimeoutMs: number;
  private readonly rewritten = new Map<string, string>();
  /** Origin and path of each URL called, parsed once. */
  private readonly parsed = new Map<string, { origin: string; path: string }>();

  constructor(options: {
    headersTimeoutMs: number;
    bodyTimeoutMs: number;
    /**
     * Sends every call to this origin instead, keeping each endpoint's path: the embedded
     * default points the catalog's real endpoints at the simulator this way.
     */
    originOverride?: string;
    /** Bytes of an answer read into memory at most (DEFAULT_MAX_ANSWER_BYTES). */
    maxAnswerBytes?: number;
  }) {
    this.originOverride = options.originOverride?.replace(/\/+$/, '');
    this.maxAnswerBytes = options.maxAnswerBytes ?? DEFAULT_MAX_ANSWER_BYTES;
    this.answerTimeoutMs = options.headersTimeoutMs;
    this.eventTimeoutMs = options.bodyTimeoutMs;
    this.agent = new Agent({
      keepAliveTimeout: 30_000,
      connections: 512,
      headersTimeout: options.headersTimeoutMs,
      bodyTimeout: options.bodyTimeoutMs,
      connectTimeout: Math.min(10_000, options.headersTimeoutMs),
    });
  }

  /**
   * POSTs JSON; resolves with a 2xx response, or a classified failure (none came, or the
   * upstream refused: by its status, its message without credentials). A caller
   * that left while the call waited for a connection (a saturated pool, a slow connect) is
   * `unsent`: the upstream never had the request, so nobody pays for it.
   */
  async post(
    url: string,
    headers: Record<string, string>,
    body: string,
    signal: AbortSignal,
  ): Promise<UpstreamResponse | UpstreamFailure> {
    let sent = false;
    const agent = this.agent;
    // undici calls a request's `onConnect` when a connection is ready to write it.
    const watched = {
      dispatch(options: Dispatcher.DispatchOptions, handler: SentWatch) {
        const onConnect = handler.onConnect;
        handler.onConnect = function connected(...args: unknown[]) {
          if (!signal.aborted) sent = true;
          return onConnect?.apply(this, args);
        };
        return agent.dispatch(options, handler as Dispatcher.DispatchHandler);
      },
    } as unknown as Dispatcher;
    try {
      const response = await request(this.target(url), {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body,
        signal,
        dispatcher: watched,
      });
      if (response.statusCode < 300) return response;
      return failureFromAnswer(
        response.statusCode,
        await refusalText(response, this.answerTimeoutMs),
        credentialsIn(headers),
        retryAfterSeconds(response.headers['retry-after']),
      );
    } catch (error) {
      const failure = classifyTransportError(error, signal);
      if (failure.errorClass === 'client-cancelled' && !sent) {
        failure.unsent = true;
      }
      return failure;
    }
  }

  /**
   * POSTs JSON and reads the whole answer; resolves with a 2xx answer, or a classified failure
   * when none came or the upstream refused (by its status, even when the refusal's body broke
   * off). Through undici's dispatcher directly: `request`'s body stream, its consumers and its
   * signal plumbing cost a quarter of the CPU of such a call. An answer larger than
   * `maxAnswerBytes` is cut off and is a failure the request pays its reservation for
   * (`billed`): one answer must not exhaust the gateway's memory. With a `memory` hold, the
   * answer's bytes are taken from the replica's buffered bytes as they come, and an answer the
   * replica has no room for is cut off and billed too (`answerOverloaded`): many answers at
   * once must not exhaust it either.
   */
  postBuffered(
    url: string,
    headers: Record<string, string>,
    body: string,
    signal: AbortSignal,
    memory?: BufferHold,
  ): Promise<BufferedAnswer | UpstreamFailure> {
    const maxAnswerBytes = this.maxAnswerBytes;
    const answerTimeoutMs = this.answerTimeoutMs;
    return new Promise(resolve => {
      const chunks: Buffer[] = [];
      let bytes = 0;
      let tooLarge = false;
      let tooSlow = false;
      let noRoom = false;
      let retryAfter: number | undefined;
      /** Bytes taken from `memory` when the answer's headers declared its length. */
      let prepaid = 0;
      let statusCode = 0;
      let answerTimer: NodeJS.Timeout | undefined;
      let controller: Dispatcher.DispatchController | undefined;
      // The caller left before the request went out: it was waiting for a connection.
      let leftBeforeSent = false;
      const onAbort = () => controller?.abort(signal.reason);
      const settle = (result: BufferedAnswer | UpstreamFailure) => {
        clearTimeout(answerTimer);
        signal.removeEventListener('abort', onAbort);
        resolve(result);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      let call: Dispatcher.DispatchOptions;
      try {
        const { origin, path } = this.originAndPath(this.target(url));
        call = {
          origin,
          path,
          method: 'POST',
          headers: { 'content-type': 'application/json', ...headers },
          body,
        };
      } catch (error) {
        // An endpoint that is not a URL: as `request` would, a failure of this upstream.
        settle(classifyTransportError(error, signal));
        return;
      }
      this.agent.dispatch(call, {
        onRequestStart(requestController) {
          controller = requestController;
          if (signal.aborted) {
            leftBeforeSent = true;
            requestController.abort(signal.reason);
          }
        },
        onResponseStart(responseController, status, answerHeaders) {
          statusCode = status;
          if (status >= 300) {
            retryAfter = retryAfterSeconds(answerHeaders['retry-after']);
          }
          // A timer, not a check as bytes come: a body that goes silent sends none, and
          // undici's body timeout (the stream idle timeout) may be far longer.
          answerTimer = setTimeout(() => {
            tooSlow = true;
            responseController.abort(new Error('answer too slow'));
          }, answerTimeoutMs);
          const declared = Number(answerHeaders['content-length']);
          if (memory && status < 300 && declared <= maxAnswerBytes) {
            // Its whole size at once: answers that arrive together then go through one by
            // one as they fit, rather than each read in part until none fits.
            if (memory.take(declared)) {
              prepaid = declared;
            } else {
              noRoom = true;
              responseController.abort(new Error('no room for the answer'));
            }
          }
        },
        onResponseData(responseController, chunk) {
          bytes += chunk.length;
          if (statusCode >= 300) {
            if (bytes <= MAX_REFUSAL_BYTES) chunks.push(chunk);
            // A refusal's status says what it is: the rest of its body is not read.
            else responseController.abort(new Error('refusal too large'));
          } else if (tooLarge || noRoom) {
            // Cut off already.
          } else if (bytes > maxAnswerBytes) {
            tooLarge = true;
            chunks.length = 0;
            responseController.abort(new Error('answer too large'));
          } else if (
            memory &&
            bytes > prepaid &&
            // Its bytes beyond the length it declared, if it lied.
            !memory.take(bytes - Math.max(prepaid, bytes - chunk.length))
          ) {
            noRoom = true;
            chunks.length = 0;
            responseController.abort(new Error('no room for the answer'));
          } else {
            chunks.push(chunk);
          }
        },
        onResponseEnd() {
          const answer =
            chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
          settle(
            statusCode >= 300
              ? failureFromAnswer(
                  statusCode,
                  answer.toString('utf8'),
                  credentialsIn(headers),
                  retryAfter,
                )
              : { statusCode, body: answer },
          );
        },
        onResponseError(_controller, error) {
          if (tooSlow && statusCode < 300 && !signal.aborted) {
            settle(answerTooSlow(answerTimeoutMs, statusCode));
            return;
          }
          if (tooLarge && !signal.aborted) {
            settle(answerTooLarge(maxAnswerBytes, statusCode));
            return;
          }
          if (noRoom && !signal.aborted) {
            settle(answerOverloaded(statusCode));
            return;
          }
          if (statusCode >= 200 && statusCode < 300 && !signal.aborted) {
            settle(answerBrokeOff(statusCode, classifyTransportError(error)));
            return;
          }
          // A refusal whose body broke off or was too slow is still classified by its status.
          if (statusCode >= 300 && !signal.aborted) {
            settle(
              failureFromAnswer(
                statusCode,
                Buffer.concat(chunks).toString('utf8'),
                credentialsIn(headers),
                retryAfter,
              ),
            );
            return;
          }
          const failure = classifyTransportError(error, signal);
          if (
            failure.errorClass === 'client-cancelled' &&
            (leftBeforeSent || controller === undefined)
          ) {
            failure.unsent = true;
          }
          settle(failure);
        },
      });
    });
  }

  async close(): Promise<void> {
    await this.agent.close();
  }

  private originAndPath(url: string): { origin: string; path: string } {
    let known = this.parsed.get(url);
    if (known === undefined) {
      const parsed = new URL(url);
      known = {
        origin: parsed.origin,
        path: `${parsed.pathname}${parsed.search}`,
      };
      if (this.parsed.size < 10_000) this.parsed.set(url, known);
    }
    return known;
  }

  private target(url: string): string {
    if (!this.originOverride) {
      return url;
    }
    let target = this.rewritten.get(url);
    if (target === undefined) {
      const parsed = new URL(url);
      target = `${this.originOverride}${parsed.pathname}${parsed.search}`;
      if (this.rewritten.size < 10_000) this.rewritten.set(url, target);
    }
    return target;
  }
}

/**
 * An answer the gateway will not hold: the upstream did the work, so the request is charged
 * (`billed`); not worth another upstream, whose answer would be as large.
 */
function answerTooLarge(maxBytes: number, status: number): UpstreamFailure {
  return {
    errorClass: 'upstream-error',
    status,
    retriable: false,
    billed: true,
    message: `the upstream's answer is larger than the gateway relays (${maxBytes} bytes)`,
  };
}

/**
 * A 2xx answer the replica had no room to read (`BufferedBytes`): billed, as the upstream did
 * the work, and not this upstream's fault, nor worth another (it would need the room too).
 */
function answerOverloaded(status: number): UpstreamFailure {
  return {
    errorClass: 'internal',
    status,
    retriable: false,
    billed: true,
    message:
      'the gateway holds too many request bodies and answers in memory to read its answer now; retry it',
  };
}

/**
 * A 2xx answer whose body did not come whole within the time its headers may take: billed and
 * not worth another upstream (the upstream did the work), as one that broke off.
 */
function answerTooSlow(timeoutMs: number, status: number): UpstreamFailure {
  return {
    errorClass: 'upstream-timeout',
    status,
    retriable: false,
    billed: true,
    upstreamFault: true,
    message: `the upstream's answer took more than ${timeoutMs} ms to arrive after its headers`,
  };
}

/**
 * A 2xx answer whose body broke off: the upstream did the work, so the request is charged
 * (`billed`), and is not sent to another upstream, which would be billed for it again.
 */
function answerBrokeOff(
  status: number,
  cause: UpstreamFailure,
): UpstreamFailure {
  return {
    // A stalled answer timed out; one cut off is a bad answer (502), not an absent upstream.
    errorClass:
      cause.errorClass === 'upstream-timeout'
        ? 'upstream-timeout'
        : 'upstream-error',
    status,
    retriable: false,
    billed: true,
    upstreamFault: true,
    message: `the upstream's answer broke off after its ${status}: ${cause.message}`,
  };
}

/** Sorts a transport error into timeout, unavailable or cancelled. */
export function classifyTransportError(
  error: unknown,
  signal?: AbortSignal,
): UpstreamFailure {
  if (signal?.aborted) {
    return {
      errorClass: 'client-cancelled',
      retriable: false,
      message: 'client cancelled the request',
    };
  }
  const code = (error as { code?: string } | undefined)?.code ?? '';
  if (code.includes('TIMEOUT')) {
    return {
      errorClass: 'upstream-timeout',
      retriable: true,
      message: 'upstream timed out',
    };
  }
  return {
    errorClass: 'upstream-unavailable',
    retriable: true,
    message: `upstream unreachable (${code || 'connection failed'})`,
  };
}

/**
 * A refusal's body, its first MAX_REFUSAL_BYTES (its message is at the start), as much of it
 * as came within `timeoutMs`: undici's body timeout is the stream idle timeout, far longer.
 */
async function refusalText(
  response: UpstreamResponse,
  timeoutMs: number,
): Promise<string> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  const timer = setTimeout(
    () => response.body.destroy(new Error('refusal too slow')),
    timeoutMs,
  );
  try {
    for await (const chunk of response.body) {
      chunks.push(chunk as Buffer);
      bytes += (chunk as Buffer).length;
      if (bytes >= MAX_REFUSAL_BYTES) break;
    }
  } catch {
    // The body broke off or was too slow; the status says enough.
  } finally {
    clearTimeout(timer);
    response.body.destroy();
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The credentials a call's headers carry: an upstream may quote them in its message. */
function credentialsIn(headers: Record<string, string>): string[] {
  const found: string[] = [];
  for (const [name, value] of Object.entries(headers)) {
    const key = name.toLowerCase();
    // Trimmed, as the adapters send them (`upstreamSecret`): a quote has no whitespace around it.
    if (key === 'authorization') {
      found.push(value.replace(/^\s*\w+\s+/, '').trim(), value.trim());
    } else if (key === 'x-api-key' || key === 'api-key') {
      found.push(value.trim());
    }
  }
  return found.filter(secret => secret.length >= MIN_CREDENTIAL_LENGTH);
}

/** Whatever looks like a credential in an upstream's message: a bearer token, an API key. */
const CREDENTIAL_LIKE = /\b(?:bearer\s+\S+|(?:sk|pk|rk)-[\w-]{6,})/gi;

/** An upstream's message with the call's credentials, and anything like one, blanked out. */
function withoutCredentials(detail: string, credentials: string[]): string {
  let clean = detail;
  for (const secret of credentials)
    clean = clean.split(secret).join('[redacted]');
  return clean.replace(CREDENTIAL_LIKE, '[redacted]');
}

/** Statuses that say the request itself is wrong: another upstream would refuse it too. */
const REQUEST_FAULTS = new Set([400, 413, 422]);

/**
 * Turns an upstream's non-2xx answer into a failure. 429 and 5xx are worth another upstream;
 * 400, 413 and 422 are the request's own fault and are passed back as 400, with the
 * upstream's message (its credentials blanked out); any other status (a redirect, 401, 404,
 * 410) means this upstream is misconfigured, so another may still work.
 */
export function failureFromAnswer(
  status: number,
  text: string,
  credentials: string[] = [],
  retryAfter?: number,
): UpstreamFailure {
  const failure = classifyAnswer(status, text, credentials);
  // Passed on where the upstream asks its callers to come back later.
  if (retryAfter !== undefined && failure.retriable) {
    failure.retryAfterSeconds = retryAfter;
  }
  return failure;
}

function classifyAnswer(
  status: number,
  text: string,
  credentials: string[],
): UpstreamFailure {
  let detail = '';
  if (REQUEST_FAULTS.has(status)) {
    try {
      const parsed = JSON.parse(text);
      // Blanked out before it is cut: a credential cut in two would not be found.
      detail = withoutCredentials(
        String(parsed?.error?.message ?? parsed?.message ?? ''),
        credentials,
      ).slice(0, 300);
    } catch {
      // The body was not JSON; the status says enough.
    }
  }
  if (status === 429) {
    return {
      errorClass: 'rate-limited',
      status,
      retriable: true,
      message: 'upstream rate limited the request',
    };
  }
  if (status === 504 || status === 408) {
    return {
      errorClass: 'upstream-timeout',
      status,
      retriable: true,
      message: `upstream timed out (${status})`,
    };
  }
  // 529: Anthropic's "overloaded", its 503.
  if (status === 503 || status === 529) {
    return {
      errorClass: 'upstream-unavailable',
      status,
      retriable: true,
      message: `upstream unavailable (${status})`,
    };
  }
  if (!REQUEST_FAULTS.has(status)) {
    return {
      errorClass: 'upstream-error',
      status,
      retriable: true,
      message: `upstream failed (${status})`,
    };
  }
  return {
    errorClass: 'invalid-request',
    status,
    retriable: false,
    message: detail
      ? `upstream rejected the request: ${detail}`
      : `upstream rejected the request (${status})`,
  };
}

export function isFailure(
  value: UpstreamResponse | BufferedAnswer | UpstreamFailure,
): value is UpstreamFailure {
  return (value as UpstreamFailure).errorClass !== undefined;
}
