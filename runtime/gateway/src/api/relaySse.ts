import type { UpstreamStream } from '../providers/types';
import type { UpstreamHealth } from '../upstream/UpstreamHealth';
import type { RequestLifecycle } from './RequestLifecycle';

/**
 * Writes an upstream's SSE stream to the caller, waiting for the socket when it is slower than
 * the upstream, and records the time to the first token. Stops when the caller goes away.
 */
export async function relaySse(
  health: UpstreamHealth,
  life: RequestLifecycle,
  stream: UpstreamStream,
  dispatchedAt: number,
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
  for await (const chunk of stream.chunks) {
    if (life.cancelled) {
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
    if (!res.write(chunk)) {
      await new Promise<void>(resolve => {
        const done = () => {
          res.off('drain', done);
          res.off('close', done);
          resolve();
        };
        res.on('drain', done);
        res.on('close', done);
      });
    }
  }
  if (!life.cancelled) {
    res.end();
  }
}
