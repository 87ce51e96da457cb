import { mkdtempSync, readdirSync, readFileSync, unlinkSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { Registry } from 'prom-client';
import type { PlatformEvent } from '@cellport/plugin-platform-common';
import { eventually } from '../__testUtils__/fixtures';
import { DiskSpool } from './DiskSpool';
import type { EventBatch } from './EventBatch';
import { EventTransport, PermanentDeliveryError } from './EventTransport';
import { HttpBatchTransport } from './HttpBatchTransport';
import { SpooledEventDelivery } from './SpooledEventDelivery';
import { SpoolMetrics } from './SpoolMetrics';

// Real servers, Redis and NATS: generous limits so a loaded CI machine does not fail them.
jest.setTimeout(30_000);

/** A transport whose answers the test scripts: fail, refuse for good, or accept. */
class ScriptedTransport implements EventTransport {
  readonly name = 'scripted';
  readonly delivered: string[][] = [];
  attempts = 0;
  constructor(private readonly script: Array<'fail' | 'refuse' | 'ok'>) {}
  async send(batch: EventBatch): Promise<void> {
    const events = batch.events();
    const answer = this.script[this.attempts++] ?? 'ok';
    if (answer === 'fail') throw new Error('receiver down');
    if (answer === 'refuse') throw new PermanentDeliveryError('400');
    this.delivered.push(events);
  }
  async close(): Promise<void> {}
}

const event = (id: string) =>
  ({ id, cell: 'c', type: 'usage' } as unknown as PlatformEvent);

/** An event of about `bytes`, as many routing candidates make one. */
const padded = (id: string, bytes: number) =>
  ({
    id,
    cell: 'c',
    type: 'usage',
    padding: 'x'.repeat(bytes),
  } as unknown as PlatformEvent);

/** Publishes one request's events and waits until they are written, as a response does. */
const published = (delivery: SpooledEventDelivery, events: PlatformEvent[]) =>
  new Promise<void>(written => delivery.publish(events, written));

describe('SpooledEventDelivery', () => {
  const options = { flushIntervalMs: 5, batchSize: 2, maxBackoffMs: 20 };

  it('retries a failed batch until the receiver takes it, in order, one segment per batch', async () => {
    const spool = new DiskSpool(mkdtempSync(join(tmpdir(), 'cellport-spool-')));
    const transport = new ScriptedTransport(['fail', 'fail', 'ok']);
    const delivery = new SpooledEventDelivery(
      spool,
      transport,
      pino({ level: 'silent' }),
      options,
    );
    // A request's events stay together in one segment; a full segment is sealed at once.
    await published(delivery, [event('event-0001'), event('event-0002')]);
    await published(delivery, [event('event-0003')]);
    await eventually(() => transport.delivered.flat().length === 3);
    await delivery.close();
    expect(transport.delivered.flat().map(e => JSON.parse(e).id)).toEqual([
      'event-0001',
      'event-0002',
      'event-0003',
    ]);
    expect(transport.attempts).toBe(4);
    expect(await spool.segments()).toEqual([]);
  });

  it('keeps the events of a request that ends after the stop, for the next start to deliver', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cellport-spool-'));
    const delivery = new SpooledEventDelivery(
      new DiskSpool(dir),
      new ScriptedTransport(['ok']),
      pino({ level: 'silent' }),
      options,
    );
    await delivery.close();
    let released = false;
    delivery.publish([event('event-late')], () => {
      released = true;
    });
    // Written before its response is released, with no turn of the event loop to wait for.
    expect(released).toBe(true);
    const next = new DiskSpool(dir);
    expect(next.recover()).toMatchObject({ segments: 1 });
    const [segment] = await next.segments();
    expect(
      (await next.read(segment)).events().map(e => JSON.parse(e).id),
    ).toEqual(['event-late']);
  });

  it('sets aside a batch the receiver refuses for good, counts and logs its events, and goes on with the next', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cellport-spool-'));
    const spool = new DiskSpool(dir);
    const transport = new ScriptedTransport(['refuse', 'ok']);
    const metrics = new SpoolMetrics(new Registry());
    const errors: Array<{ msg: string; events?: number }> = [];
    const delivery = new SpooledEventDelivery(
      spool,
      transport,
      pino(
        { level: 'error' },
        { write: line => errors.push(JSON.parse(line)) },
      ),
      { ...options, onDeadLettered: count => metrics.deadLettered.inc(count) },
    );
    // A request's events stay together in one segment; a full segment is sealed at once.
    await published(delivery, [event('event-0001'), event('event-0002')]);
    await published(delivery, [event('event-0003')]);
    await eventually(() => transport.attempts === 2);
    await delivery.close();
    expect(transport.delivered.flat().map(e => JSON.parse(e).id)).toEqual([
      'event-0003',
    ]);
    expect(await new DiskSpool(join(dir, 'dead')).segments()).toHaveLength(1);
    expect((await metrics.deadLettered.get()).values[0].value).toBe(2);
    expect(errors).toEqual([
      expect.objectContaining({
        msg: 'events refused for good; their segment is set aside in dead/',
        events: 2,
      }),
    ]);
  });

  it("delivers a segment over the portal's body limit in parts, and sets aside only an event too large alone", async () => {
    // A portal (or a proxy before it) that answers a body over 20 KB 413 and stores by id.
    const stored = new Map<string, number>();
    const portal = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', chunk => chunks.push(chunk));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        if (body.length > 20_000) {
          res.writeHead(413).end();
          return;
        }
        for (const { id } of JSON.parse(body.toString('utf8')).events) {
          stored.set(id, (stored.get(id) ?? 0) + 1);
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>(resolve =>
      portal.listen(0, '127.0.0.1', () => resolve()),
    );
    const dir = mkdtempSync(join(tmpdir(), 'cellport-spool-'));
    const registry = new Registry();
    const metrics = new SpoolMetrics(registry);
    let delivered = 0;
    const delivery = new SpooledEventDelivery(
      new DiskSpool(dir),
      new HttpBatchTransport(
        `http://127.0.0.1:${(portal.address() as AddressInfo).port}`,
        undefined,
      ),
      pino({ level: 'silent' }),
      {
        ...options,
        batchSize: 1000,
        onDeadLettered: count => metrics.deadLettered.inc(count),
        onDelivered: count => {
          delivered += count;
        },
      },
    );
    try {
      // One event of the 200 is over the limit alone.
      await published(
        delivery,
        Array.from({ length: 200 }, (_, i) =>
          padded(`event-${i}`, i === 150 ? 30_000 : 1_000),
        ),
      );
      await delivery.drain();
      expect(stored.size).toBe(199);
      expect([...stored.values()].every(times => times === 1)).toBe(true);
      expect(stored.has('event-150')).toBe(false);
      expect(delivered).toBe(199);
      expect(await new DiskSpool(join(dir, 'dead')).segments()).toHaveLength(1);
      expect(await registry.metrics()).toContain(
        'cellport_gateway_events_dead_lettered_total 1',
      );
    } finally {
      await delivery.close();
      portal.closeAllConnections();
      await new Promise(resolve => portal.close(resolve));
    }
  });

  it('stops while the portal hangs on a batch, leaving its segment for the next start', async () => {
    // Takes the batch and never answers; the transport would wait ten minutes.
    const portal = createServer(req => req.resume());
    await new Promise<void>(resolve =>
      portal.listen(0, '127.0.0.1', () => resolve()),
    );
    let posted = 0;
    portal.on('request', () => {
      posted += 1;
    });
    const dir = mkdtempSync(join(tmpdir(), 'cellport-spool-'));
    const delivery = new SpooledEventDelivery(
      new DiskSpool(dir),
      new HttpBatchTransport(
        `http://127.0.0.1:${(portal.address() as AddressInfo).port}`,
        undefined,
        undefined,
        600_000,
      ),
      pino({ level: 'silent' }),
      options,
    );
    try {
      await published(delivery, [event('event-0001'), event('event-0002')]);
      await eventually(() => posted === 1);
      // Within this test's 30 s, not the transport's ten minutes.
      await delivery.close();
      expect(await new DiskSpool(dir).segments()).toHaveLength(1);
    } finally {
      portal.closeAllConnections();
      await new Promise(resolve => portal.close(resolve));
    }
  });

  it('sheds the events of refusals that cost nothing while the spool is over half its cap, never those that billed or failed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cellport-spool-'));
    const usage = (id: string, outcome: string, inputTokens: number) =>
      ({
        id,
        cell: 'c',
        type: 'usage',
        outcome,
        inputTokens,
        outputTokens: 0,
      } as unknown as PlatformEvent);
    let shed = 0;
    const delivery = new SpooledEventDelivery(
      new DiskSpool(dir, { maxBytes: 64 * 1024 }),
      // The receiver is down: everything stays in the spool.
      new ScriptedTransport(Array(1000).fill('fail')),
      pino({ level: 'silent' }),
      {
        ...options,
        maxBackoffMs: 60_000,
        onShed: count => {
          shed += count;
        },
      },
    );
    try {
      await published(delivery, [usage('under-half', 'rejected', 0)]);
      expect(shed).toBe(0);
      // 40 KB of served requests' events: over half of the 64 KiB cap, on disk.
      await published(delivery, [padded('served-1', 20_000)]);
      await published(delivery, [padded('served-2', 20_000)]);
      await delivery.flush();
      await published(delivery, [usage('refused', 'rejected', 0)]);
      await published(delivery, [usage('failed', 'error', 0)]);
      await published(delivery, [usage('billed-refusal', 'rejected', 12)]);
      await delivery.flush();
      expect(shed).toBe(1);
      const ids = readdirSync(dir)
        .filter(name => /^\d/.test(name))
        .flatMap(name =>
          readFileSync(join(dir, name), 'utf8')
            .trim()
            .split('\n')
            .map(line => JSON.parse(line).id),
        );
      expect(ids.sort()).toEqual(
        [
          'billed-refusal',
          'failed',
          'served-1',
          'served-2',
          'under-half',
        ].sort(),
      );
    } finally {
      await delivery.close();
    }
  });

  it('passes over a batch the portal fails on every time, going on from its failing part when it comes back to it', async () => {
    // The second part of segment a fails until the younger segment b is delivered; the
    // first is stored with one of its events refused.
    const posts = new Map<string, number>();
    let youngerDelivered = false;
    const portal = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', chunk => chunks.push(chunk));
      req.on('end', () => {
        const ids: string[] = JSON.parse(
          Buffer.concat(chunks).toString('utf8'),
        ).events.map((e: { id: string }) => e.id);
        for (const id of ids) posts.set(id, (posts.get(id) ?? 0) + 1);
        if (ids.includes('a-0')) {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(
            JSON.stringify({
              rejected: 1,
              rejections: [{ index: 0, message: 'breaks the contract' }],
            }),
          );
          return;
        }
        if (ids.includes('a-9') && !youngerDelivered) {
          res.writeHead(500).end();
          return;
        }
        if (ids.includes('b-0')) youngerDelivered = true;
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>(resolve =>
      portal.listen(0, '127.0.0.1', () => resolve()),
    );
    const rejectedReports: number[] = [];
    const delivery = new SpooledEventDelivery(
      new DiskSpool(mkdtempSync(join(tmpdir(), 'cellport-spool-'))),
      new HttpBatchTransport(
        `http://127.0.0.1:${(portal.address() as AddressInfo).port}`,
        undefined,
        count => rejectedReports.push(count),
        10_000,
        // Two parts of segment a.
        20_000,
      ),
      pino({ level: 'silent' }),
      { ...options, batchSize: 1000 },
    );
    try {
      await published(
        delivery,
        Array.from({ length: 10 }, (_, i) => padded(`a-${i}`, 3_000)),
      );
      await delivery.flush();
      await eventually(() => (posts.get('a-9') ?? 0) >= 3);
      await published(delivery, [padded('b-0', 100)]);
      await delivery.drain();
      expect(youngerDelivered).toBe(true);
      expect(posts.get('a-9')).toBeGreaterThanOrEqual(4);
      // The part stored before is neither sent again nor its refusal reported twice.
      expect(posts.get('a-0')).toBe(1);
      expect(rejectedReports).toEqual([1]);
    } finally {
      await delivery.close();
      portal.closeAllConnections();
      await new Promise(resolve => portal.close(resolve));
    }
  });

  it('delivers oldest first once a portal that was down for every segment is back', async () => {
    let down = true;
    const tries = new Map<string, number>();
    const delivered: string[] = [];
    const transport: EventTransport = {
      name: 'outage',
      async send(batch: EventBatch) {
        const ids = batch.events().map(line => JSON.parse(line).id as string);
        tries.set(ids[0], (tries.get(ids[0]) ?? 0) + 1);
        if (down) throw new Error('receiver down');
        delivered.push(...ids);
      },
      async close() {},
    };
    const delivery = new SpooledEventDelivery(
      new DiskSpool(mkdtempSync(join(tmpdir(), 'cellport-spool-'))),
      transport,
      pino({ level: 'silent' }),
      { flushIntervalMs: 60_000, batchSize: 1000, maxBackoffMs: 20 },
    );
    try {
      await published(delivery, [event('a')]);
      await delivery.flush();
      // Long enough down for a to be passed over and b to be tried.
      await eventually(() => (tries.get('a') ?? 0) >= 3);
      await published(delivery, [event('b')]);
      await delivery.flush();
      await eventually(() => (tries.get('b') ?? 0) >= 1);
      down = false;
      await published(delivery, [event('c')]);
      await delivery.flush();
      await eventually(() => delivered.length === 3);
      expect(delivered).toEqual(['a', 'b', 'c']);
    } finally {
      await delivery.close();
    }
  });

  it('goes on with a segment whose delivery failed part-way from the part that failed', async () => {
    const stored = new Map<string, number>();
    let posts = 0;
    const portal = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', chunk => chunks.push(chunk));
      req.on('end', () => {
        // The third part meets a portal restarting.
        posts += 1;
        if (posts === 3) {
          res.writeHead(503).end();
          return;
        }
        for (const { id } of JSON.parse(Buffer.concat(chunks).toString('utf8'))
          .events) {
          stored.set(id, (stored.get(id) ?? 0) + 1);
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>(resolve =>
      portal.listen(0, '127.0.0.1', () => resolve()),
    );
    const delivery = new SpooledEventDelivery(
      new DiskSpool(mkdtempSync(join(tmpdir(), 'cellport-spool-'))),
      new HttpBatchTransport(
        `http://127.0.0.1:${(portal.address() as AddressInfo).port}`,
        undefined,
        undefined,
        10_000,
        20_000,
      ),
      pino({ level: 'silent' }),
      { ...options, batchSize: 1000 },
    );
    try {
      await published(
        delivery,
        Array.from({ length: 100 }, (_, i) => padded(`event-${i}`, 1_000)),
      );
      await delivery.drain();
      expect(stored.size).toBe(100);
      expect([...stored.values()].every(times => times === 1)).toBe(true);
    } finally {
      await delivery.close();
      portal.closeAllConnections();
      await new Promise(resolve => portal.close(resolve));
    }
  });

  /**
   * A delivery that never seals or sends while a test runs, and what its open segments hold
   * (the one written to, and the empty one made ahead).
   */
  function unsealedDelivery() {
    const dir = mkdtempSync(join(tmpdir(), 'cellport-spool-'));
    const delivery = new SpooledEventDelivery(
      new DiskSpool(dir),
      new ScriptedTransport(Array(100).fill('fail')),
      pino({ level: 'silent' }),
      { ...options, flushIntervalMs: 60_000, batchSize: 100 },
    );
    const openSegment = () =>
      readdirSync(dir)
        .filter(name => name.endsWith('.open'))
        .map(name => readFileSync(join(dir, name), 'utf8'))
        .join('');
    return { delivery, openSegment };
  }

  it('writes the events of the requests that end in one turn once, before any of them is released', async () => {
    const { delivery, openSegment } = unsealedDelivery();
    const seen: string[] = [];
    for (const id of ['event-0001', 'event-0002', 'event-0003']) {
      delivery.publish([event(id)], () => seen.push(openSegment()));
    }
    // Nothing is written, and no response released, before the turn's one write.
    expect(openSegment()).toBe('');
    expect(seen).toEqual([]);
    await new Promise(resolve => setImmediate(resolve));
    // Each release found every event of the turn in the file.
    expect(seen).toHaveLength(3);
    for (const file of seen) {
      expect(
        file
          .trim()
          .split('\n')
          .map(line => JSON.parse(line).id),
      ).toEqual(['event-0001', 'event-0002', 'event-0003']);
    }
    await delivery.close();
  });

  it('writes the events of a request served alone at once, with any of its turn still waiting', async () => {
    const { delivery, openSegment } = unsealedDelivery();
    const ids = () =>
      openSegment()
        .trim()
        .split('\n')
        .map(line => JSON.parse(line).id);
    const seen: string[][] = [];
    // Ended while another request was in flight: waits for the turn's write.
    delivery.publish([event('event-0001')], () => seen.push(ids()));
    expect(seen).toEqual([]);
    // Alone (the other request's client left before it ended): written now, and the events
    // still waiting are written with it.
    delivery.publish([event('event-0002')], () => seen.push(ids()), true);
    expect(seen).toEqual([
      ['event-0001', 'event-0002'],
      ['event-0001', 'event-0002'],
    ]);
    // The turn's end finds nothing left to write.
    await new Promise(resolve => setImmediate(resolve));
    expect(ids()).toEqual(['event-0001', 'event-0002']);
    await delivery.close();
  });

  it('makes segments of about the batch size, however many requests end in one turn', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cellport-spool-'));
    const spool = new DiskSpool(dir);
    const delivery = new SpooledEventDelivery(
      spool,
      new ScriptedTransport(Array(100).fill('fail')),
      pino({ level: 'silent' }),
      { ...options, flushIntervalMs: 60_000, batchSize: 10 },
    );
    const written: number[] = [];
    for (let i = 0; i < 95; i++) {
      delivery.publish([event(`event-${i}-a`), event(`event-${i}-b`)], () =>
        written.push(i),
      );
    }
    await delivery.close();
    expect(written).toHaveLength(95);
    const sizes = await Promise.all(
      (
        await spool.segments()
      ).map(async name => (await spool.read(name)).count),
    );
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(190);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(10);
  });

  it('lets every response end: when the spool cannot be written, and after close', async () => {
    const spool = new DiskSpool(mkdtempSync(join(tmpdir(), 'cellport-spool-')));
    spool.write = () => {
      throw new Error('ENOSPC: no space left on device');
    };
    const delivery = new SpooledEventDelivery(
      spool,
      new ScriptedTransport(Array(100).fill('fail')),
      pino({ level: 'silent' }),
      { ...options, flushIntervalMs: 60_000 },
    );
    // Each resolves only when its response may end; a hang fails the test.
    await expect(
      published(delivery, [event('event-0001')]),
    ).resolves.toBeUndefined();
    await delivery.close();
    await expect(
      published(delivery, [event('event-0002')]),
    ).resolves.toBeUndefined();
  });

  it('holds events the spool cannot take up to a memory cap, dropping and reporting the oldest, and writes the rest once it can', async () => {
    const spool = new DiskSpool(mkdtempSync(join(tmpdir(), 'cellport-spool-')));
    const write = spool.write.bind(spool);
    spool.write = () => {
      throw new Error('ENOSPC: no space left on device');
    };
    const drops: Array<{ events: number; bytes: number }> = [];
    const transport = new ScriptedTransport([]);
    const delivery = new SpooledEventDelivery(
      spool,
      transport,
      pino({ level: 'silent' }),
      {
        ...options,
        flushIntervalMs: 60_000,
        batchSize: 1000,
        // Room for three of the events below: each line is 46 bytes.
        maxUnwrittenBytes: 140,
        onUnwrittenDrop: drop => drops.push(drop),
      },
    );
    for (let i = 1; i <= 10; i++) {
      await published(delivery, [event(`event-${String(i).padStart(4, '0')}`)]);
    }
    expect(drops.reduce((n, d) => n + d.events, 0)).toBe(7);
    expect(drops.reduce((n, d) => n + d.bytes, 0)).toBe(7 * 46);
    spool.write = write;
    await delivery.drain();
    await delivery.close();
    expect(transport.delivered.flat().map(e => JSON.parse(e).id)).toEqual([
      'event-0008',
      'event-0009',
      'event-0010',
    ]);
  });

  it('reports the events it still holds in memory as dropped when it stops with the spool unwritable', async () => {
    const spool = new DiskSpool(mkdtempSync(join(tmpdir(), 'cellport-spool-')));
    spool.write = () => {
      throw new Error('ENOSPC: no space left on device');
    };
    const drops: Array<{ events: number; bytes: number }> = [];
    const delivery = new SpooledEventDelivery(
      spool,
      new ScriptedTransport([]),
      pino({ level: 'silent' }),
      {
        ...options,
        flushIntervalMs: 60_000,
        batchSize: 1000,
        onUnwrittenDrop: drop => drops.push(drop),
      },
    );
    for (let i = 1; i <= 3; i++) {
      await published(delivery, [event(`event-${String(i).padStart(4, '0')}`)]);
    }
    expect(drops).toEqual([]);
    await delivery.close();
    // Each line is 46 bytes.
    expect(drops.reduce((n, d) => n + d.events, 0)).toBe(3);
    expect(drops.reduce((n, d) => n + d.bytes, 0)).toBe(3 * 46);
    // A request the stop cut off, whose events cannot be written either.
    await published(delivery, [event('event-0004')]);
    expect(drops.reduce((n, d) => n + d.events, 0)).toBe(4);
  });

  it('writes a long disk-full spell back as segments of about the batch size, each a batch the receiver takes', async () => {
    const spool = new DiskSpool(mkdtempSync(join(tmpdir(), 'cellport-spool-')));
    const write = spool.write.bind(spool);
    spool.write = () => {
      throw new Error('ENOSPC: no space left on device');
    };
    const transport = new ScriptedTransport([]);
    const delivery = new SpooledEventDelivery(
      spool,
      transport,
      pino({ level: 'silent' }),
      { ...options, flushIntervalMs: 60_000, batchSize: 10 },
    );
    for (let i = 0; i < 95; i++) {
      await published(delivery, [event(`event-${i}-a`), event(`event-${i}-b`)]);
    }
    spool.write = write;
    await delivery.drain();
    await delivery.close();
    expect(transport.delivered.flat()).toHaveLength(190);
    expect(
      Math.max(...transport.delivered.map(batch => batch.length)),
    ).toBeLessThanOrEqual(2 * 10);
  });

  it('keeps unsent events on disk across a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cellport-spool-'));
    const down = new ScriptedTransport(Array(100).fill('fail'));
    const first = new SpooledEventDelivery(
      new DiskSpool(dir),
      down,
      pino({ level: 'silent' }),
      options,
    );
    first.publish([event('event-0001')], () => {});
    await first.close();
    const up = new ScriptedTransport([]);
    const second = new SpooledEventDelivery(
      new DiskSpool(dir),
      up,
      pino({ level: 'silent' }),
      options,
    );
    await eventually(() => up.delivered.length === 1);
    await second.close();
    expect(JSON.parse(up.delivered[0][0]).id).toBe('event-0001');
  });

  it('goes on with the next segment when a sealed one vanished from disk', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cellport-spool-'));
    const spool = new DiskSpool(dir);
    const transport = new ScriptedTransport(Array(1000).fill('fail'));
    // A retry that read the oldest segment just before the delete (a starved test can let the
    // 200 ms wait pass first) fails as well: its events cannot reach the receiver either way.
    const send = transport.send.bind(transport);
    transport.send = async batch => {
      const ids = batch.events().map(line => JSON.parse(line).id);
      if (transport.attempts >= 1000 && ids.includes('event-0001')) {
        throw new Error('receiver down');
      }
      return send(batch);
    };
    const warnings: string[] = [];
    const logger = pino(
      { level: 'warn' },
      {
        write: (line: string) => warnings.push(JSON.parse(line).msg),
      },
    );
    // After the first failure the sender waits 200 ms: the segment is deleted meanwhile.
    const delivery = new SpooledEventDelivery(spool, transport, logger, {
      ...options,
      maxBackoffMs: 1000,
      random: () => 1,
    });
    try {
      await published(delivery, [event('event-0001'), event('event-0002')]);
      await published(delivery, [event('event-0003'), event('event-0004')]);
      await eventually(
        async () =>
          transport.attempts === 1 && (await spool.segments()).length === 2,
      );
      // Something outside the gateway deletes the oldest segment (a clean-up, a tmp reaper).
      unlinkSync(join(dir, (await spool.segments())[0]));
      transport.attempts = 1000;
      await published(delivery, [event('event-0005')]);
      await eventually(() => transport.delivered.flat().length === 3);
      expect(transport.delivered.flat().map(e => JSON.parse(e).id)).toEqual([
        'event-0003',
        'event-0004',
        'event-0005',
      ]);
      expect(warnings).toContain(
        'a sealed event segment vanished from the spool; its events are lost',
      );
    } finally {
      await delivery.close();
    }
  });
});
