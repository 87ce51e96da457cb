import type { Logger } from 'pino';
import type { PlatformEvent } from '@cellport/plugin-platform-common';
import type { DiskSpool } from './DiskSpool';
import type { EventSink } from './EventSink';
import { EventTransport, PermanentDeliveryError } from './EventTransport';

export interface DeliveryOptions {
  flushIntervalMs: number;
  /** Events per segment and per batch sent. */
  batchSize: number;
  maxBackoffMs: number;
  onDelivered?: (count: number) => void;
}

/**
 * At-least-once delivery that never touches the request path: `publish` only appends to an
 * in-memory buffer. A timer writes the buffer to the disk spool; a single sender loop sends
 * spooled segments oldest first and deletes each only after the receiver has it, backing off
 * while the receiver is down. Event ids make redelivery harmless.
 */
export class SpooledEventDelivery implements EventSink {
  /** Serialized events not yet spooled. */
  private buffer: string[] = [];
  private readonly timer: NodeJS.Timeout;
  private sending?: Promise<void>;
  private retryTimer?: NodeJS.Timeout;
  private failures = 0;
  private closed = false;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly spool: DiskSpool,
    private readonly transport: EventTransport,
    private readonly logger: Logger,
    private readonly options: DeliveryOptions,
  ) {
    this.timer = setInterval(() => this.flush(), options.flushIntervalMs);
    this.timer.unref();
    // Segments left by an earlier run (a portal outage, a restart) go first.
    this.kick();
  }

  publish(events: PlatformEvent[]): void {
    if (this.closed) {
      return;
    }
    // Serialized one request at a time, after its answer went out: a flush then writes
    // strings instead of serializing hundreds of events at once, which would stall the
    // event loop and show up in the latency of the requests waiting behind it.
    for (const event of events) {
      this.buffer.push(JSON.stringify(event));
    }
    if (this.buffer.length >= this.options.batchSize) {
      this.flush();
    }
  }

  /** Writes buffered events to the spool, then wakes the sender. */
  flush(): Promise<void> {
    if (this.buffer.length === 0) {
      return this.flushing;
    }
    const events = this.buffer;
    this.buffer = [];
    this.flushing = this.flushing
      .then(async () => {
        for (let i = 0; i < events.length; i += this.options.batchSize) {
          await this.spool.append(events.slice(i, i + this.options.batchSize));
        }
      })
      .catch(error => {
        this.logger.error(
          { err: error, dir: this.spool.dir },
          'cannot write the event spool; keeping events in memory',
        );
        this.buffer.unshift(...events);
      })
      .then(() => this.kick());
    return this.flushing;
  }

  /** Resolves once everything spooled so far has been delivered (tests and shutdown). */
  async drain(): Promise<void> {
    await this.flush();
    while (!this.closed && (await this.spool.segments()).length > 0) {
      this.kick();
      await (this.sending ?? new Promise(resolve => setTimeout(resolve, 20)));
    }
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
    this.closed = true;
    clearTimeout(this.retryTimer);
    await this.sending;
    await this.transport.close();
  }

  private kick(): void {
    if (this.sending || this.closed || this.retryTimer) {
      return;
    }
    this.sending = this.sendAll().finally(() => {
      this.sending = undefined;
    });
  }

  private async sendAll(): Promise<void> {
    for (;;) {
      if (this.closed) return;
      const [next] = await this.spool.segments();
      if (!next) return;
      const events = await this.spool.read(next);
      try {
        await this.transport.send(events);
      } catch (error) {
        if (error instanceof PermanentDeliveryError) {
          this.logger.error(
            { segment: next, reason: error.message },
            'event batch refused for good; set aside',
          );
          await this.spool.quarantine(next);
          continue;
        }
        this.scheduleRetry(error);
        return;
      }
      this.failures = 0;
      await this.spool.remove(next);
      this.options.onDelivered?.(events.length);
    }
  }

  private scheduleRetry(error: unknown): void {
    this.failures += 1;
    const delay = Math.min(
      this.options.maxBackoffMs,
      100 * 2 ** Math.min(this.failures, 10),
    );
    if (this.failures === 1 || this.failures % 10 === 0) {
      this.logger.warn(
        {
          transport: this.transport.name,
          reason: (error as Error).message,
          retryInMs: delay,
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
