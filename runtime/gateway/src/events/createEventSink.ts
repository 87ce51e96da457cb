import type { Logger } from 'pino';
import type { GatewayConfig } from '../config/GatewayConfig';
import type { GatewayMetrics } from '../metrics/GatewayMetrics';
import type { SpoolDrop } from './DiskSpool';
import type { EventSink } from './EventSink';
import { HttpBatchTransport } from './HttpBatchTransport';
import { NatsTransport } from './NatsTransport';
import { openSpool } from './openSpool';
import { SpooledEventDelivery } from './SpooledEventDelivery';
import { SpoolMetrics } from './SpoolMetrics';

/** Default byte cap of the spool: hours of events at high load, far from a full disk. */
export const DEFAULT_SPOOL_MAX_BYTES = 1024 * 1024 * 1024;

/**
 * Adds up drops and reports them at most every ten seconds: with the disk full, every turn of
 * a busy replica drops, and with the portal down every seal over the byte cap does; a line
 * each would flood the log (often on that same disk). What a report holds back is reported
 * ten seconds on, or by `flush` (on close); the metric counts every event at once.
 */
function everyTenSeconds<Drop>(
  add: (sum: Drop | undefined, drop: Drop) => Drop,
  report: (dropped: Drop) => void,
): { add(drop: Drop): void; flush(): void } {
  let lastAt = 0;
  let held: Drop | undefined;
  let timer: NodeJS.Timeout | undefined;
  const flush = () => {
    clearTimeout(timer);
    timer = undefined;
    if (held === undefined) return;
    lastAt = Date.now();
    const dropped = held;
    held = undefined;
    report(dropped);
  };
  return {
    add: drop => {
      held = add(held, drop);
      const wait = lastAt + 10_000 - Date.now();
      if (wait <= 0) flush();
      else if (!timer) {
        timer = setTimeout(flush, wait);
        timer.unref();
      }
    },
    flush,
  };
}

const addUnwritten = (
  sum: { events: number; bytes: number } | undefined,
  drop: { events: number; bytes: number },
) => ({
  events: (sum?.events ?? 0) + drop.events,
  bytes: (sum?.bytes ?? 0) + drop.bytes,
});

const addShed = (sum: number | undefined, events: number) =>
  (sum ?? 0) + events;

const addSpoolDrop = (sum: SpoolDrop | undefined, drop: SpoolDrop) =>
  sum
    ? {
        segments: sum.segments + drop.segments,
        events: sum.events + drop.events,
        bytes: sum.bytes + drop.bytes,
        oldest: sum.oldest,
        newest: drop.newest,
        reason: sum.reason.includes(drop.reason)
          ? sum.reason
          : `${sum.reason}, ${drop.reason}`,
      }
    : drop;

/** The event sink the config asks for: HTTP batches (default) or NATS JetStream, both spooled. */
export async function createEventSink(
  config: GatewayConfig,
  logger: Logger,
  metrics: GatewayMetrics,
): Promise<EventSink> {
  const { events } = config;
  let transport;
  if (events.transport === 'nats') {
    if (!events.natsUrl) {
      throw new Error('GATEWAY_EVENTS=nats needs GATEWAY_NATS_URL');
    }
    transport = new NatsTransport(events.natsUrl);
  } else {
    if (!events.portalUrl) {
      throw new Error(
        'GATEWAY_EVENTS=http needs GATEWAY_EVENTS_URL (the portal base URL)',
      );
    }
    transport = new HttpBatchTransport(
      events.portalUrl,
      events.portalToken,
      (count, rejections) => {
        metrics.eventsRejected.inc(count);
        logger.error(
          { rejected: count, rejections: rejections.slice(0, 5) },
          'the portal refused events of a delivered batch: they break its event contract (a portal older than this gateway?)',
        );
      },
      events.portalTimeoutMs,
    );
  }
  const spoolMetrics = new SpoolMetrics(metrics.registry);
  const logSpoolDrop = everyTenSeconds(addSpoolDrop, dropped =>
    logger.error(
      { ...dropped, dir: events.spoolDir },
      'event spool segments dropped: its oldest, over its byte cap (byte-cap) or with its volume nearly full (volume-full), or sealed ones deleted from under it (deleted) (counts since the last such line)',
    ),
  );
  const { spool, recovered } = openSpool(events.spoolDir, {
    maxBytes: events.spoolMaxBytes ?? DEFAULT_SPOOL_MAX_BYTES,
    onDrop: drop => {
      spoolMetrics.dropped.inc(drop.events);
      logSpoolDrop.add(drop);
    },
    onSealError: error =>
      logger.error(
        { err: error, dir: events.spoolDir },
        'cannot seal an event segment; each rotation tries it again, and the next start',
      ),
    onDirectoryRemade: () =>
      logger.error(
        { dir: events.spoolDir },
        'the event spool directory was deleted from under the gateway; made again, with its lock (its sealed segments are counted dropped, reason deleted)',
      ),
    onRescued: rescued =>
      logger.warn(
        { ...rescued, dir: events.spoolDir },
        'an event segment deleted from under the gateway while open was written again from its descriptor: its events are kept',
      ),
  });
  spoolMetrics.observe(spool);
  const logUnwrittenDrop = everyTenSeconds(
    addUnwritten,
    (dropped: { events: number; bytes: number }) =>
      logger.error(
        { ...dropped, dir: events.spoolDir },
        'event spool cannot be written; dropped events held in memory: the oldest past their cap, or all left at a stop (counts since the last such line)',
      ),
  );
  const logShed = everyTenSeconds(addShed, (shed: number) =>
    logger.warn(
      { events: shed, dir: events.spoolDir },
      'event spool over half its byte cap or its volume low on space: events of refused requests that cost nothing (outcome rejected) are not spooled, to keep room for billing events and errors (count since the last such line)',
    ),
  );
  return new SpooledEventDelivery(spool, transport, logger, {
    recovered,
    flushIntervalMs: events.flushIntervalMs,
    // Every seal costs two fsyncs and every batch a read and a POST: 1,000 events a segment
    // (the default) took 9% off the CPU per request against 250 (paired rounds).
    batchSize: events.segmentEvents,
    maxBackoffMs: 30_000,
    onUnwrittenDrop: drop => {
      spoolMetrics.dropped.inc(drop.events);
      logUnwrittenDrop.add(drop);
    },
    onDelivered: count => metrics.eventsDelivered.inc(count),
    onDeadLettered: count => spoolMetrics.deadLettered.inc(count),
    onShed: count => {
      spoolMetrics.shed.inc(count);
      logShed.add(count);
    },
    onClosed: () => {
      logSpoolDrop.flush();
      logUnwrittenDrop.flush();
      logShed.flush();
    },
  });
}
