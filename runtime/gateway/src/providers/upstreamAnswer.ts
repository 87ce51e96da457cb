import type { Readable } from 'node:stream';
import type { UpstreamFailure, UpstreamStream } from './types';
import { classifyTransportError, UpstreamResponse } from './UpstreamHttp';

/**
 * The upstream answered, but not with something the gateway can relay: invalid JSON, a
 * stream that is not SSE, an error event. Its message is safe to show the caller.
 */
export class UpstreamAnswerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UpstreamAnswerError';
  }
}

/**
 * An unusable answer is that upstream's failure: it counts against its circuit breaker and
 * another upstream is tried, as for a 5xx; when none is left the caller gets 502.
 */
export function unusableAnswer(
  message: string,
  status?: number,
): UpstreamFailure {
  return {
    errorClass: 'upstream-error',
    status,
    retriable: true,
    message,
  };
}

/**
 * A JSON answer body parsed, or why it is unusable: it must be a JSON object. The bytes
 * themselves are relayed as they came; the parsed answer serves usage, tokens and spans.
 */
export function parseJsonAnswer(
  text: string,
): { answer: Record<string, unknown> } | { problem: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { problem: 'upstream answered with invalid JSON' };
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return { problem: 'upstream answered with JSON that is not an object' };
  }
  return { answer: parsed as Record<string, unknown> };
}

/** How long the rest of an answer that is not relayed is read, for its connection's sake. */
const DUMP_MS = 1_000;

/** A streamed answer must come as SSE; anything else is refused before a byte is relayed. */
export function streamContentTypeProblem(
  response: UpstreamResponse,
): string | undefined {
  const type = String(response.headers['content-type'] ?? '');
  if (type.toLowerCase().startsWith('text/event-stream')) {
    return undefined;
  }
  // Read a little of it so the connection can be reused, then drop it: a body trickling in
  // for longer would hold the connection, and a stop that waits for it, for as long.
  response.body
    .dump({ limit: 64 * 1024, signal: AbortSignal.timeout(DUMP_MS) })
    .catch(() => undefined);
  return `upstream answered a stream request with content-type "${type.slice(
    0,
    60,
  )}" instead of text/event-stream`;
}

/**
 * Waits for a stream's first complete event before the caller is answered, so that a stream
 * which is garbage from its first line, or ends before any event, is a 502 (and another
 * upstream is tried), never a 200 with nothing behind it.
 */
export async function startStream(
  events: AsyncGenerator<string>,
  signal: AbortSignal,
  status: number,
  rest: Omit<UpstreamStream, 'kind' | 'chunks'>,
): Promise<UpstreamStream | { kind: 'failure'; failure: UpstreamFailure }> {
  let first: IteratorResult<string>;
  try {
    first = await events.next();
  } catch (error) {
    return {
      kind: 'failure',
      failure:
        error instanceof UpstreamAnswerError && !signal.aborted
          ? unusableAnswer(error.message, status)
          : classifyTransportError(error, signal),
    };
  }
  if (first.done) {
    return {
      kind: 'failure',
      failure: signal.aborted
        ? classifyTransportError(undefined, signal)
        : unusableAnswer(
            'upstream stream ended before its first event',
            status,
          ),
    };
  }
  const head = first.value;
  async function* chunks(): AsyncGenerator<string> {
    try {
      yield head;
      yield* events;
    } finally {
      // A caller that stops after the first event must still release the upstream body.
      await events.return(undefined);
    }
  }
  return { kind: 'stream', chunks: chunks(), ...rest };
}

/**
 * Ends a stream whose bytes keep coming without completing a line (one byte every few
 * seconds): undici's body timeout counts any byte, so such a stream would hold its request,
 * its reservation and its connection for ever. A complete line, a keep-alive comment
 * included, is a sign of life; silence is the body timeout's to end.
 */
export class EventWatch {
  private lastLineAt = performance.now();

  constructor(private readonly timeoutMs: number) {}

  /** After each read, with its text. */
  read(text: string): void {
    const now = performance.now();
    if (text.includes('\n') || text.includes('\r')) {
      this.lastLineAt = now;
    } else if (now - this.lastLineAt > this.timeoutMs) {
      throw new UpstreamAnswerError(
        `upstream sent no complete line for ${this.timeoutMs} ms`,
      );
    }
  }
}

/**
 * How long the rest of a stream's body is read once its answer is complete. An upstream ends
 * its response right after its last event, and the connection is kept for the next call; one
 * that holds it open (silent, or sending keep-alives) loses it.
 */
const AFTER_COMPLETE_MS = 1_000;

/**
 * Reads an upstream stream's body, chunk by chunk, until it ends or `complete()` says the
 * answer is whole: the caller's stream must end with its answer, not when the upstream
 * lets go of the connection. Whatever stops the reading, the body is let go: read off
 * (AFTER_COMPLETE_MS at most) after a complete answer, destroyed otherwise, so a caller that
 * left stops the upstream.
 */
export async function* readUntilComplete(
  body: Readable,
  complete: () => boolean,
): AsyncGenerator<Buffer> {
  try {
    for await (const chunk of body.iterator({ destroyOnReturn: false })) {
      yield chunk as Buffer;
      if (complete()) return;
    }
  } finally {
    // Destroying an unfinished body emits undici's abort error, which nothing else awaits.
    body.on('error', ignore);
    if (complete()) releaseBody(body);
    else body.destroy();
  }
}

function ignore(): void {}

function releaseBody(body: Readable): void {
  if (body.readableEnded || body.destroyed) return;
  const timer = setTimeout(() => body.destroy(), AFTER_COMPLETE_MS);
  const stop = () => clearTimeout(timer);
  body.on('end', stop).on('close', stop);
  body.resume();
}
