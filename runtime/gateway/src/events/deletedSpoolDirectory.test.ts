import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { PlatformEvent } from '@cellport/plugin-platform-common';
import { eventually } from '../__testUtils__/fixtures';
import { DiskSpool, SpoolDrop } from './DiskSpool';
import type { EventBatch } from './EventBatch';
import type { EventTransport } from './EventTransport';
import { SpooledEventDelivery } from './SpooledEventDelivery';

jest.setTimeout(30_000);

/** Takes every batch; while `held`, waits before taking it. */
class HoldingTransport implements EventTransport {
  readonly name = 'holding';
  readonly delivered: string[] = [];
  held?: Promise<void>;
  async send(batch: EventBatch): Promise<void> {
    await this.held;
    this.delivered.push(...batch.events().map(e => JSON.parse(e).id));
  }
  async close(): Promise<void> {}
}

const event = (id: string) =>
  ({ id, cell: 'c', type: 'usage' } as unknown as PlatformEvent);

const published = (delivery: SpooledEventDelivery, ...ids: string[]) =>
  new Promise<void>(written => delivery.publish(ids.map(event), written));

/**
 * Deletes the spool directory as a clean-up does, at once: moved out of its place first, as a
 * removal file by file races the spool's own files (the spare segment opened on the thread
 * pool) and fails ENOTEMPTY.
 */
function deleteDirectory(dir: string): void {
  const gone = `${dir}.deleted`;
  renameSync(dir, gone);
  rmSync(gone, { recursive: true, force: true });
}

/** Delivery from `spool`, rotated only when the test flushes or drains it. */
function deliveringFrom(spool: DiskSpool) {
  const transport = new HoldingTransport();
  const delivery = new SpooledEventDelivery(
    spool,
    transport,
    pino({ level: 'silent' }),
    { flushIntervalMs: 60_000, batchSize: 1000, maxBackoffMs: 20 },
  );
  return { transport, delivery };
}

// A clean-up or a tmp reaper deletes the spool directory from under a running gateway, as an
// adversary did under load: the open segment's events (acknowledged to their callers) were
// lost, nothing counted the loss, and the lock was gone, so a second gateway could claim the
// directory.
describe('a spool directory deleted from under the gateway', () => {
  it('is made again, with its lock, at the next write, which goes to a file with the events written before', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'cellport-spool-')), 'spool');
    let remade = 0;
    const rescued: Array<{ events: number }> = [];
    const spool = new DiskSpool(dir, {
      onDirectoryRemade: () => (remade += 1),
      onRescued: segment => rescued.push(segment),
    });
    const { transport, delivery } = deliveringFrom(spool);
    try {
      await published(delivery, 'event-1', 'event-2');
      deleteDirectory(dir);
      await published(delivery, 'event-3', 'event-4');
      // Before any rotation: everything answered so far is in files again, none behind a
      // descriptor that a kill would take with it (`killedGateway.test.ts`).
      const onDisk = readdirSync(dir)
        .filter(name => name.includes('.jsonl'))
        .map(name => readFileSync(join(dir, name), 'utf8'))
        .join('');
      for (const id of ['event-1', 'event-2', 'event-3', 'event-4']) {
        expect(onDisk).toContain(`"${id}"`);
      }
      expect(rescued).toEqual([expect.objectContaining({ events: 2 })]);
      // Its lock again, naming this process: a second gateway on the directory is refused
      // (SpoolLock.test.ts), as before.
      expect(
        JSON.parse(readFileSync(join(dir, 'owner.lock'), 'utf8')).pid,
      ).toBe(process.pid);

      await delivery.drain();
      expect(transport.delivered).toEqual([
        'event-1',
        'event-2',
        'event-3',
        'event-4',
      ]);
      expect(remade).toBe(1);
      expect(existsSync(join(dir, 'dead'))).toBe(true);
    } finally {
      await delivery.close();
    }
  });

  it('is made again when a segment open then is sealed, its events written again from its descriptor', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'cellport-spool-')), 'spool');
    const rescued: Array<{ events: number }> = [];
    const spool = new DiskSpool(dir, {
      onRescued: segment => rescued.push(segment),
    });
    const { transport, delivery } = deliveringFrom(spool);
    try {
      await published(delivery, 'event-1', 'event-2');
      deleteDirectory(dir);
      // No write comes before the seal: the seal finds the file gone.
      await delivery.drain();
      expect(transport.delivered).toEqual(['event-1', 'event-2']);
      expect(rescued).toEqual([expect.objectContaining({ events: 2 })]);
    } finally {
      await delivery.close();
    }
  });

  it('counts the events of sealed segments deleted with it as dropped', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'cellport-spool-')), 'spool');
    const drops: SpoolDrop[] = [];
    const spool = new DiskSpool(dir, { onDrop: drop => drops.push(drop) });
    const { transport, delivery } = deliveringFrom(spool);
    let letSend = () => {};
    transport.held = new Promise(resolve => (letSend = resolve));
    try {
      // Sealed, the first sent but not answered, the other waiting its turn.
      await published(delivery, 'sent-1');
      await delivery.flush();
      await published(delivery, 'waiting-1', 'waiting-2');
      await delivery.flush();
      await eventually(() => spool.sending !== undefined);
      deleteDirectory(dir);
      transport.held = undefined;
      letSend();
      await published(delivery, 'after-1');
      await delivery.drain();
      expect(transport.delivered).toEqual(['sent-1', 'after-1']);
      expect(drops).toEqual([
        expect.objectContaining({ reason: 'deleted', events: 2, segments: 1 }),
      ]);
    } finally {
      await delivery.close();
    }
  });
});
