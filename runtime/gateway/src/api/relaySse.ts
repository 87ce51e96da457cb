import type { UpstreamStream } from '../providers/types';
import type { UpstreamHealth } from '../upstream/UpstreamHealth';
import type { RequestLifecycle } from './RequestLifecycle';

/**
 * The lines that tell a caller its stream is complete, in each API the gateway serves: a
 * client may act on them and never read the connection's end. Matched only at the start of a
 * line: inside an event's JSON, where a newline is always escaped, the same text is content.
 */
const STREAM_ENDS = [
  'data: [DONE]',
  'data:[DONE]',
  'event: message_stop',
  'event: response.completed',
  'event: response.incomplete',
  'event: response.failed',
];

/** The same, after a line break: made once, not for every chunk of every stream. */
const LINE_STREAM_ENDS = STREAM_ENDS.map(marker => `\n${marker}`);

/**
 * Where the line holding a stream's final event starts in `chunk`; -1 when none is in it.
 * `atLineStart`: the chunk begins a line (the one before it ended one).
 */
function streamEndAt(chunk: string, atLineStart: boolean): number {
  for (let i = 0; i < STREAM_ENDS.length; i++) {
    if (atLineStart && chunk.startsWith(STREAM_ENDS[i])) return 0;
    const at = chunk.indexOf(LINE_STREAM_ENDS[i]);
    if (at >= 0) return at + 1;
  }
  return -1;
}

/**
 * Writes an upstream's SSE stream to the caller, waiting for the socket when it is slower than
 * the upstream, but not longer than `stallTimeoutMs`: a caller that stopped reading is cut
 * off, as if it had gone away. Records the time to the first token. Stops when the caller goes
 * away.
 * The final event is held back for `res.end`, which the lifecycle lets go only once the
 * request's events are written: a caller told its answer is complete has them on disk.
 * Throws when the gateway's stop cut the stream short (`RequestLifecycle.interrupt`).
 */
export async function relaySse(
  health: UpstreamHealth,
  life: RequestLifecycle,
  stream: UpstreamStream,
  dispatchedAt: number,
  stallTimeoutMs: number,
): Promise<void> {
  const res = life.res;
  // Set one by one (not in writeHead) so that an error after the headers can read the
  // content-type and end the stream with an error event.
  res.setHeader('content-type', 'text/event-stream');
  res.setHeader('cache-control', 'no-cache');
  res.setHeader('x-request-id', life.requestId);
  res.writeHead(200);
  res.flushHeaders();
  let first = true;
  let ending: string | undefined;
  let atLineStart = true;
  for await (const chunk of stream.chunks) {
    // The caller left, or the gateway's stop abandoned the upstream: what comes after (a
    // translator's closing events) is no part of the answer.
    if (life.abort.signal.aborted) {
      break;
    }
    if (first) {
      first = false;
      life.record.timeToFirstTokenMs = performance.now() - life.startedAt;
      health.recordLatency(
        life.record.chosen!,
        performance.now() - dispatchedAt,
      );
    }
    life.trace?.chunkRelayed(chunk);
    if (ending !== undefined) {
      ending += chunk;
      continue;
    }
    let out = chunk;
    const endAt = streamEndAt(chunk, atLineStart);
    atLineStart = chunk.endsWith('\n');
    if (endAt >= 0) {
      ending = chunk.slice(endAt);
      out = chunk.slice(0, endAt);
      if (out === '') continue;
    }
    if (!res.write(out)) {
      await new Promise<void>(resolve => {
        const signal = life.abort.signal;
        const stalled = setTimeout(() => res.destroy(), stallTimeoutMs);
        const done = () => {
          clearTimeout(stalled);
          res.off('drain', done);
          res.off('close', done);
          signal.removeEventListener('abort', done);
          resolve();
        };
        res.on('drain', done);
        res.on('close', done);
        signal.addEventListener('abort', done);
      });
    }
  }
  if (life.interrupted && ending === undefined) {
    // The upstream's stream was abandoned for the gateway's stop before its final event: the
    // caller must not read this end as the answer's.
    throw new Error('the gateway stopped before the stream ended');
  }
  if (!life.cancelled) {
    res.end(ending);
  }
}
