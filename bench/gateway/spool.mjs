// Spool micro-benchmark: what the crash-safe event write costs a request. The gateway appends
// the events of the requests that end in one turn to the spool's open segment with one
// writeSync before their responses end (DiskSpool.write); this times that call for one
// request's two events (a turn that ended one request; in a busy turn the write is larger and
// shared, and every response of the turn waits for it), with segments sealed every 1,000 events in the
// background while writes go on, as the gateway does, against the memory buffer it replaced (an array push), and the whole of
// publish's work on the request path (serializing the events, then the write). The events are
// a request's real ones, taken from the run; loads the TypeScript sources through Backstage's
// Node transform.
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const require = createRequire(import.meta.url);

const percentile = (sorted, q) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

/** A stand-in request's two events, when the run has none to give. */
const fallbackEvents = () =>
  ['rd', 'us'].map(suffix => ({
    id: `bench-${suffix}`,
    requestId: 'bench',
    pad: 'x'.repeat(540),
  }));

/** `events`: one request's events (RoutingDecision, UsageEvent) as the gateway sent them. */
export async function runSpoolBenchmark({
  requests = 20_000,
  events = fallbackEvents(),
} = {}) {
  require('@backstage/cli-node/config/nodeTransform.cjs');
  const {
    DiskSpool,
  } = require('../../runtime/gateway/src/events/DiskSpool.ts');
  const dir = mkdtempSync(join(tmpdir(), 'cellport-bench-spool-'));
  const spool = new DiskSpool(dir, { maxBytes: 1024 * 1024 * 1024 });
  // Each request's events differ in their ids, as the gateway's do.
  const eventsOf = n =>
    events.map(event => ({
      ...event,
      id: `${n}-${event.id}`,
      requestId: `${n}-${event.requestId}`,
    }));
  const serialize = list => {
    // As SpooledEventDelivery.publish does.
    let lines = '';
    for (const event of list) lines += `${JSON.stringify(event)}\n`;
    return lines;
  };
  const writeTimes = [];
  const publishTimes = [];
  const memoryTimes = [];
  let memory = [];
  let bytes = 0;
  let sealing = Promise.resolve();
  try {
    for (let n = 0; n < requests; n++) {
      // The write alone, of lines serialized beforehand.
      const lines = serialize(eventsOf(n));
      bytes += Buffer.byteLength(lines);
      let start = performance.now();
      spool.write(lines, events.length);
      writeTimes.push(performance.now() - start);
      // The former path: the lines kept in a memory buffer until the next flush.
      const copy = serialize(eventsOf(n));
      start = performance.now();
      memory.push(copy);
      memoryTimes.push(performance.now() - start);
      // Publish's request-path work: serialize, then write.
      const list = eventsOf(n + requests);
      start = performance.now();
      spool.write(serialize(list), events.length);
      publishTimes.push(performance.now() - start);
      if (spool.openEvents >= 1000) {
        // As in the gateway: the full segment is sealed (fsync, rename) on libuv's pool while
        // the next requests write to a new one, and removed once "delivered".
        sealing = spool.rotate().then(async () => {
          for (const name of await spool.segments()) await spool.remove(name);
        });
        memory = [];
      }
      // Requests take turns of the event loop, in which seals and removals complete.
      if (n % 4 === 3) await new Promise(resolve => setImmediate(resolve));
    }
    await sealing;
    await spool.rotate();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const mean = times => times.reduce((sum, t) => sum + t, 0) / times.length;
  const spoolMeanMs = mean(writeTimes);
  for (const times of [writeTimes, memoryTimes, publishTimes]) {
    times.sort((a, b) => a - b);
  }
  return {
    requests,
    bytesPerRequest: Math.round(bytes / requests),
    spoolP50Ms: percentile(writeTimes, 0.5),
    spoolP99Ms: percentile(writeTimes, 0.99),
    spoolMeanMs,
    memoryP50Ms: percentile(memoryTimes, 0.5),
    memoryP99Ms: percentile(memoryTimes, 0.99),
    publishP50Ms: percentile(publishTimes, 0.5),
    publishP99Ms: percentile(publishTimes, 0.99),
  };
}
