import type { Logger } from 'pino';
import type { PlatformEvent } from '@cellport/plugin-platform-common';
import type { DiskSpool, RecoveredSpool } from './DiskSpool';
import type { EventBatch } from './EventBatch';
import type { EventSink } from './EventSink';
import {
  EventTransport,
  PermanentDeliveryError,
  RefusedEventsError,
} from './EventTransport';
import { retryDelayMs } from './retryDelay';
import { SendOrder } from './SendOrder';

const DEFAULT_MAX_UNWRITTEN_BYTES = 64 * 1024 * 1024;

/** How long a stop waits for the receiver's answer to the batch in flight. */
const CLOSE_SEND_WAIT_MS = 2_000;

export interface DeliveryOptions {
  /** How often the open segment is sealed and handed to the sender. */
  flushIntervalMs: number;
  /** Events per segment (and so per batch sent); a fuller segment is sealed at once. */
  batchSize: number;
  maxBackoffMs: number;
  /**
   * Bytes of events kept in memory while the spool cannot be written (disk full, I/O
   * errors); above it the oldest are dropped and reported. Default 64 MiB.
   */
  maxUnwrittenBytes?: number;
  onUnwrittenDrop?: (drop: { events: number; bytes: number }) => void;
  onDelivered?: (count: number) => void;
  /** Events of refused requests that cost nothing, not spooled while the spool is under pressure. */
  onShed?: (count: number) => void;
  /** Events of a segment the receiver refused for good, set aside in `dead/`: lost. */
  onDeadLettered?: (count: number) => void;
  /** After the last flush of a stop: reports held back for later are due now. */
  onClosed?: () => void;
  /** Jitter source; tests pin it. */
  random?: () => number;
  /**
   * What `spool.recover()` found where the caller ran it already (`openSpool`, so that its
   * errors stop the start as the spool's own); else the delivery runs it.
   */
  recovered?: RecoveredSpool;
}

/**
 * At-least-once delivery whose only cost on the request path is a share of one `write(2)`:
 * `publish` appends the request's events to the spool's open segment (page cache, no fsync)
 * before its response ends, so a process killed at any instant has every answered request's
 * events on disk. The requests that end in one turn of the event loop share the write (group
 * commit, at `setImmediate`): a loopback `write(2)` costs as much as the rest of the events'
 * work, and a busy replica ends several requests a turn. A request served alone is written at
 * once, as none could share its write. A timer seals the open segment (fsync, rename); a
 * single sender loop sends sealed segments oldest first and deletes each only after the
 * receiver has it, backing off with jitter while the receiver is down. Event ids make
 * redelivery harmless.
 */
export class SpooledEventDelivery implements EventSink {
  /** Events whose spool write failed (disk full, I/O error); retried at each flush. */
  private unwritten: Array<{ lines: string; events: number; bytes: number }> =
    [];
  private unwrittenBytes = 0;
  private readonly timer: NodeJS.Timeout;
  private sending?: Promise<void>;
  private retryTimer?: NodeJS.Timeout;
  /** Wakes the sender when a batch the receiver fails on is due again; never delays others. */
  private dueTimer?: NodeJS.Timeout;
  private failures = 0;
  private readonly order: SendOrder;
  private closed = false;
  private lastWriteErrorAt = 0;
  /** Serialized events waiting for this turn's write, and who waits for it. */
  private pending = '';
  private pendingEvents = 0;
  private waiting: Array<() => void> = [];
  private writeScheduled = false;

  constructor(
    private readonly spool: DiskSpool,
    private readonly transport: EventTransport,
    private readonly logger: Logger,
    private readonly options: DeliveryOptions,
  ) {
    this.order = new SendOrder(options.maxBackoffMs, options.random);
    // Open segments of a killed predecessor are sealed before this process writes any.
    const recovered = options.recovered ?? spool.recover();
    if (recovered.segments > 0) {
      logger.info(
        { ...recovered, dir: spool.dir },
        'sealed the event segments an earlier process left open',
      );
    }
    this.timer = setInterval(() => this.flush(), options.flushIntervalMs);
    this.timer.unref();
    // Segments left by an earlier run (a portal outage, a restart) go first.
    this.kick();
  }

  publish(events: PlatformEvent[], written: () => void, alone = false): void {
    if (this.spool.underPressure() && sheddable(events)) {
      // A flood of refusals in a long receiver outage would otherwise push the billing events
      // of served requests out of the spool, oldest first; Prometheus still counts them.
      this.options.onShed?.(events.length);
      written();
      return;
    }
    // Serialized once, here, one request at a time: the sender sends these bytes as they are.
    let lines = '';
    for (const event of events) {
      lines += `${JSON.stringify(event)}\n`;
    }
    this.pending += lines;
    this.pendingEvents += events.length;
    this.waiting.push(written);
    if (this.closed) {
      // A request the stop's drain cut off ends after the last flush, its tokens spent all
      // the same: its events go to the open segment now, before the process can exit, and
      // the next start's recovery seals and delivers them.
      this.writePending(false);
    } else if (alone) {
      // No request could share the write, and waiting for the turn's end would hold the
      // response behind the rest of the turn's work (20-35 µs at one connection).
      this.writePending();
    } else if (this.pendingEvents >= this.options.batchSize) {
      // A turn that ends many requests (after a stall) still makes segments of about the batch
      // size: the receiver takes batches of a bounded size.
      this.writePending();
    } else if (!this.writeScheduled) {
      this.writeScheduled = true;
      setImmediate(this.writePending);
    }
  }

  /**
   * Writes what this turn published, then lets its responses end; a segment that reached the
   * batch size is sealed, unless the caller is sealing anyway.
   */
  private readonly writePending = (sealWhenFull = true): void => {
    this.writeScheduled = false;
    const lines = this.pending;
    const events = this.pendingEvents;
    const waiting = this.waiting;
    this.pending = '';
    this.pendingEvents = 0;
    this.waiting = [];
    if (events > 0) {
      try {
        this.spool.write(lines, events);
      } catch (error) {
        // Kept in memory and retried at each flush; the responses still end.
        this.keepUnwritten(lines, events);
        this.reportWriteError(error);
        // After the stop nothing retries them.
        if (this.closed) this.dropUnwritten();
      }
    }
    for (const release of waiting) {
      try {
        release();
      } catch (error) {
        this.logger.error({ err: error }, 'ending a response failed');
      }
    }
    if (
      sealWhenFull &&
      events > 0 &&
      this.spool.openEvents >= this.options.batchSize
    ) {
      this.flush();
    }
  };

  /** Seals the open segment, then wakes the sender. Resolves once it is sealed. */
  flush(): Promise<void> {
    this.writePending(false);
    return this.sealWithUnwritten().then(() => this.kick());
  }

  /**
   * Writes the events held in memory back into segments of about the batch size, each
   * sealed in turn (a disk-full spell can leave thousands: one segment of them all would be a
   * batch the receiver refuses), then seals the open one.
   */
  private async sealWithUnwritten(): Promise<void> {
    for (;;) {
      const writable = this.retryUnwritten();
      await this.spool.rotate();
      if (!writable || this.unwritten.length === 0) return;
    }
  }

  /** Resolves once everything published so far has been delivered (tests and shutdown). */
  async drain(): Promise<void> {
    await this.flush();
    for (let i = 0; i < 10_000; i++) {
      if (this.closed || (await this.spool.segments()).length === 0) return;
      this.kick();
      await (this.sending ?? new Promise(resolve => setTimeout(resolve, 20)));
    }
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
    this.closed = true;
    // That flush was their last try: the process exits holding them.
    this.dropUnwritten();
    clearTimeout(this.retryTimer);
    clearTimeout(this.dueTimer);
    if (this.sending) {
      // A batch the receiver is answering gets its answer; one it hangs on is given up.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        this.sending,
        new Promise(resolve => {
          timer = setTimeout(resolve, CLOSE_SEND_WAIT_MS);
        }),
      ]);
      clearTimeout(timer);
      this.transport.abort?.();
    }
    await this.sending;
    await this.spool.close();
    await this.transport.close();
    this.options.onClosed?.();
  }

  /** Holds events the spool refused, dropping the oldest beyond the memory cap. */
  private keepUnwritten(lines: string, events: number): void {
    const bytes = Buffer.byteLength(lines);
    this.unwritten.push({ lines, events, bytes });
    this.unwrittenBytes += bytes;
    const cap = this.options.maxUnwrittenBytes ?? DEFAULT_MAX_UNWRITTEN_BYTES;
    const dropped = { events: 0, bytes: 0 };
    while (this.unwrittenBytes > cap && this.unwritten.length > 0) {
      const oldest = this.unwritten.shift()!;
      this.unwrittenBytes -= oldest.bytes;
      dropped.events += oldest.events;
      dropped.bytes += oldest.bytes;
    }
    if (dropped.events > 0) this.options.onUnwrittenDrop?.(dropped);
  }

  /** Reports the events held in memory as dropped, and lets them go. */
  private dropUnwritten(): void {
    const dropped = { events: 0, bytes: 0 };
    for (const { events, bytes } of this.unwritten) {
      dropped.events += events;
      dropped.bytes += bytes;
    }
    this.unwritten = [];
    this.unwrittenBytes = 0;
    if (dropped.events > 0) this.options.onUnwrittenDrop?.(dropped);
  }

  /** Writes held events until the open segment is full; false when the spool still fails. */
  private retryUnwritten(): boolean {
    while (
      this.unwritten.length > 0 &&
      this.spool.openEvents < this.options.batchSize
    ) {
      const { lines, events, bytes } = this.unwritten[0];
      try {
        this.spool.write(lines, events);
      } catch (error) {
        this.reportWriteError(error);
        return false;
      }
      this.unwritten.shift();
      this.unwrittenBytes -= bytes;
    }
    return true;
  }

  private reportWriteError(error: unknown): void {
    const now = Date.now();
    if (now - this.lastWriteErrorAt >= 10_000) {
      this.lastWriteErrorAt = now;
      this.logger.error(
        {
          err: error,
          dir: this.spool.dir,
          eventsInMemory: this.unwritten.reduce((n, u) => n + u.events, 0),
        },
        'cannot write the event spool; keeping events in memory',
      );
    }
  }

  private kick(): void {
    if (this.sending || this.closed || this.retryTimer) {
      return;
    }
    this.sending = this.sendAll()
      // Node exits on an unhandled rejection, cutting every request in flight: a spool fault
      // (a segment it cannot delete or set aside) costs a retry instead.
      .catch(error => {
        this.logger.error(
          { err: error, dir: this.spool.dir },
          'the event sender failed; retrying',
        );
        if (!this.closed) this.scheduleRetry(error);
      })
      .finally(() => {
        this.sending = undefined;
        this.spool.sending = undefined;
      });
  }

  private async sendAll(): Promise<void> {
    const { order } = this;
    for (;;) {
      if (this.closed) return;
      const next = this.spool.oldestSealed(
        order.passingOver ? order.isPassedOver : undefined,
      );
      if (!next) return;
      const wait = order.waitMs(next);
      if (wait > 0) {
        // Only batches the receiver fails on are left, none due yet.
        this.wakeIn(wait);
        return;
      }
      this.spool.sending = next;
      if (this.spool.isDelivered(next)) {
        // Its file could not be deleted: deleted again, after a failure's backoff, not sent.
        await this.removeDelivered(next);
        continue;
      }
      let batch: EventBatch;
      try {
        // Read again all the same: a segment deleted from under the gateway is not sent.
        const read = await this.spool.read(next);
        batch = order.batchOf(next) ?? read;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
          this.scheduleRetry(error);
          return;
        }
        // Gone: dropped by the byte cap meanwhile (which reported it), or deleted by something
        // else (a clean-up, a tmp reaper), which must be forgotten, or it would be the next
        // one again for ever. The next one is up.
        order.forget(next);
        if (this.spool.holdsSealed(next)) {
          this.logger.error(
            { segment: next, dir: this.spool.dir },
            'a sealed event segment vanished from the spool; its events are lost',
          );
          this.spool.lose(next);
        }
        continue;
      }
      try {
        await this.transport.send(batch);
      } catch (error) {
        if (error instanceof PermanentDeliveryError) {
          // The whole segment is set aside (a transport that sends it in parts has delivered
          // the others): only the refused events are lost.
          const lost =
            error instanceof RefusedEventsError ? error.events : batch.count;
          await this.spool.quarantine(next);
          order.forget(next);
          this.logger.error(
            {
              segment: next,
              dir: this.spool.dir,
              events: lost,
              ofEvents: batch.count,
              reason: error.message,
            },
            'events refused for good; their segment is set aside in dead/',
          );
          this.options.onDeadLettered?.(lost);
          if (batch.count > lost)
            this.options.onDelivered?.(batch.count - lost);
          continue;
        }
        if (this.closed) return;
        if (order.failed(next, batch, this.youngerWaiting(next)) === 'next') {
          this.logger.warn(
            {
              segment: next,
              transport: this.transport.name,
              reason: (error as Error).message,
            },
            'event delivery failed on this batch again; younger ones go first',
          );
          continue;
        }
        this.scheduleRetry(error);
        return;
      }
      order.succeeded(next);
      this.options.onDelivered?.(batch.count);
      this.spool.markDelivered(next);
      await this.removeDelivered(next);
    }
  }

  /** Throws while the file cannot be deleted: the sender retries it after a backoff. */
  private async removeDelivered(name: string): Promise<void> {
    await this.spool.remove(name);
    this.failures = 0;
  }

  /** Whether a segment the sender has not passed over waits behind `name`. */
  private youngerWaiting(name: string): boolean {
    this.order.prune(segment => this.spool.holdsSealed(segment));
    const other = this.spool.oldestSealed(
      segment => segment === name || this.order.isPassedOver(segment),
    );
    return other !== undefined && other !== name && other > name;
  }

  private wakeIn(ms: number): void {
    clearTimeout(this.dueTimer);
    this.dueTimer = setTimeout(() => {
      this.dueTimer = undefined;
      this.kick();
    }, ms);
    this.dueTimer.unref();
  }

  private scheduleRetry(error: unknown): void {
    this.failures += 1;
    const delay = retryDelayMs(
      this.failures,
      this.options.maxBackoffMs,
      this.options.random,
    );
    if (this.failures === 1 || this.failures % 10 === 0) {
      this.logger.warn(
        {
          transport: this.transport.name,
          reason: (error as Error).message,
          retryInMs: delay,
          spool: this.spool.depth(),
        },
        'event delivery failed; retrying',
      );
    }
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.kick();
    }, delay);
    this.retryTimer.unref();
  }
}

/**
 * Whether a request's events may be shed under spool pressure: it was refused for the caller's
 * own fault or limit (`rejected`: bad input, a limit, a budget; not in an availability SLO)
 * and cost nothing. Errors, cancellations and anything that billed tokens are always kept.
 */
function sheddable(events: PlatformEvent[]): boolean {
  for (const event of events) {
    if (event.type === 'usage') {
      return (
        event.outcome === 'rejected' &&
        event.inputTokens === 0 &&
        event.outputTokens === 0
      );
    }
  }
  return false;
}
