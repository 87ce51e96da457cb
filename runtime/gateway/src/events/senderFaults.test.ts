import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmdirSync,
  unlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { PlatformEvent } from '@cellport/plugin-platform-common';
import { eventually } from '../__testUtils__/fixtures';
import { DiskSpool } from './DiskSpool';
import type { EventBatch } from './EventBatch';
import { EventTransport, RefusedEventsError } from './EventTransport';
import { SpooledEventDelivery } from './SpooledEventDelivery';

// Generous limits so a loaded CI machine does not fail them.
jest.setTimeout(30_000);

/** A transport that accepts every batch, after `fault` (which may throw) had its turn. */
class FaultyTransport implements EventTransport {
  readonly name = 'faulty';
  readonly delivered: string[] = [];
  attempts = 0;
  constructor(private readonly fault: (attempt: number) => void) {}
  async send(batch: EventBatch): Promise<void> {
    this.fault(++this.attempts);
    this.delivered.push(...batch.events().map(e => JSON.parse(e).id));
  }
  async close(): Promise<void> {}
}

const event = (id: string) =>
  ({ id, cell: 'c', type: 'usage' } as unknown as PlatformEvent);

const published = (delivery: SpooledEventDelivery, events: PlatformEvent[]) =>
  new Promise<void>(written => delivery.publish(events, written));

/**
 * Node exits on an unhandled rejection, cutting every request in flight: a fault of the
 * background sender must never become one. Jest fails the test that caused one (its own
 * handler takes it: a `process.on('unhandledRejection')` here never hears of it).
 */
describe('the event sender, when the spool fails under it', () => {
  const options = { flushIntervalMs: 5, batchSize: 2, maxBackoffMs: 20 };

  function logged() {
    const errors: Array<{ msg: string }> = [];
    const logger = pino(
      { level: 'error' },
      { write: (line: string) => errors.push(JSON.parse(line)) },
    );
    return { logger, messages: () => errors.map(error => error.msg) };
  }

  it('goes on when the segment of a batch the portal refused is gone before it is set aside', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cellport-spool-'));
    const spool = new DiskSpool(dir);
    const transport = new FaultyTransport(attempt => {
      if (attempt === 1) {
        // Deleted while the portal answered (a tmp reaper, an operator).
        unlinkSync(join(dir, spool.sending!));
        throw new RefusedEventsError('portal refused 2 of 2 events', 2);
      }
    });
    let deadLettered = 0;
    const delivery = new SpooledEventDelivery(
      spool,
      transport,
      pino({ level: 'silent' }),
      {
        ...options,
        onDeadLettered: count => {
          deadLettered += count;
        },
      },
    );
    try {
      await published(delivery, [event('event-0001'), event('event-0002')]);
      await eventually(() => transport.attempts === 1);
      await published(delivery, [event('event-0003'), event('event-0004')]);
      await eventually(() => transport.delivered.length === 2);
      await delivery.drain();
      expect(transport.delivered).toEqual(['event-0003', 'event-0004']);
      expect(deadLettered).toBe(2);
      expect(readdirSync(join(dir, 'dead'))).toEqual([]);
      // The delivered segment's removal may land a moment after its batch is acknowledged.
      await eventually(() => spool.depth().segments === 0);
    } finally {
      await delivery.close();
    }
  });

  it('retries deleting a delivered segment it cannot delete, without sending it again, and goes on with the next once it can', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cellport-spool-'));
    const spool = new DiskSpool(dir);
    let segment = '';
    const transport = new FaultyTransport(attempt => {
      if (attempt === 1) {
        // Its unlink fails as on an I/O error or a volume remounted read-only (as root, a
        // read-only directory would not stop it).
        segment = join(dir, spool.sending!);
        unlinkSync(segment);
        mkdirSync(segment);
      }
    });
    const { logger, messages } = logged();
    const delivery = new SpooledEventDelivery(
      spool,
      transport,
      logger,
      options,
    );
    try {
      await published(delivery, [event('event-0001'), event('event-0002')]);
      await eventually(() =>
        messages().includes('the event sender failed; retrying'),
      );
      // The fault clears (the directory in the segment's place goes); its deletion, retried,
      // finds nothing left to delete.
      rmdirSync(segment);
      await published(delivery, [event('event-0003'), event('event-0004')]);
      await eventually(() => transport.delivered.includes('event-0004'));
      await delivery.drain();
      // Delivered once: its deletion was retried, not its delivery (a volume gone read-only
      // had the portal sent the same batch five times a second while it lasted).
      expect(transport.delivered).toEqual([
        'event-0001',
        'event-0002',
        'event-0003',
        'event-0004',
      ]);
      expect(transport.attempts).toBe(2);
      expect(await spool.segments()).toEqual([]);
    } finally {
      await delivery.close();
    }
  });
});
