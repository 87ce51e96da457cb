import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EventBatch } from './EventBatch';
import { RefusedEventsError } from './EventTransport';
import { HttpBatchTransport, MAX_BODY_BYTES } from './HttpBatchTransport';

/** Sends one batch to a portal that answers `answer`; resolves with what was reported. */
async function deliver(answer: object): Promise<Array<[number, unknown]>> {
  const portal = createServer((req, res) => {
    req.resume();
    req.on('end', () =>
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify(answer)),
    );
  });
  await new Promise<void>(resolve =>
    portal.listen(0, '127.0.0.1', () => resolve()),
  );
  const reported: Array<[number, unknown]> = [];
  const transport = new HttpBatchTransport(
    `http://127.0.0.1:${(portal.address() as AddressInfo).port}`,
    'token',
    (count, rejections) => reported.push([count, rejections]),
  );
  try {
    await transport.send(
      EventBatch.fromSegment(Buffer.from('{"id":"a"}\n{"id":"b"}\n')),
    );
    return reported;
  } finally {
    await transport.close();
    portal.closeAllConnections();
    await new Promise(resolve => portal.close(resolve));
  }
}

/**
 * A portal that answers a body over `limit` bytes 413, as the real one does over its 25 MB,
 * and stores the events of the others by id, as ingest does (a replay is a duplicate).
 */
class LimitedPortal {
  /** Each delivery of each event id: more than one is an event sent twice. */
  readonly deliveries = new Map<string, number>();
  readonly bodies: number[] = [];
  /** Statuses answered, in order. */
  readonly statuses: number[] = [];
  /** The POST (counted from 1) answered 503, as a portal restarting does. */
  failAt?: number;
  private readonly server: Server;

  constructor(private readonly limit: number) {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', chunk => chunks.push(chunk));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        this.bodies.push(body.length);
        const answer = (status: number, json: object) => {
          this.statuses.push(status);
          res
            .writeHead(status, { 'content-type': 'application/json' })
            .end(JSON.stringify(json));
        };
        if (this.bodies.length === this.failAt) {
          answer(503, { error: { message: 'restarting' } });
          return;
        }
        if (body.length > this.limit) {
          answer(413, { error: { name: 'PayloadTooLargeError' } });
          return;
        }
        const { events } = JSON.parse(body.toString('utf8')) as {
          events: Array<{ id: string }>;
        };
        let stored = 0;
        for (const { id } of events) {
          const before = this.deliveries.get(id) ?? 0;
          if (before === 0) stored += 1;
          this.deliveries.set(id, before + 1);
        }
        answer(200, {
          received: events.length,
          stored,
          duplicates: events.length - stored,
          rejected: 0,
        });
      });
    });
  }

  async start(): Promise<string> {
    await new Promise<void>(resolve =>
      this.server.listen(0, '127.0.0.1', () => resolve()),
    );
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise(resolve => this.server.close(resolve));
  }
}

/** A segment of `count` events of about `bytes` each, as the spool holds it. */
const segment = (count: number, bytes: number, large: number[] = []) =>
  EventBatch.fromSegment(
    Buffer.from(
      Array.from(
        { length: count },
        (_, i) =>
          `${JSON.stringify({
            id: `event-${i}`,
            // A routing decision's candidates, in any script: bytes, not characters.
            candidates: 'é'.repeat(
              (large.includes(i) ? bytes * 20 : bytes) / 2,
            ),
          })}\n`,
      ).join(''),
    ),
  );

describe('HttpBatchTransport', () => {
  it('reports the events of a delivered batch the portal refused one by one, as the portal names them', async () => {
    // What a portal answers when one event of two breaks its contract: the other is stored.
    const rejection = {
      index: 1,
      message: 'events[1].outcome: expected one of ...',
    };
    expect(
      await deliver({
        received: 2,
        stored: 1,
        duplicates: 0,
        rejected: 1,
        rejections: [rejection],
      }),
    ).toEqual([[1, [rejection]]]);
  });

  it('takes a batch as delivered whatever the answer says of its rejections', async () => {
    expect(await deliver({ rejected: 2, rejections: {} })).toEqual([[2, []]]);
    expect(await deliver({ received: 2, stored: 2 })).toEqual([]);
  });

  describe('with a portal that limits its bodies', () => {
    let portal: LimitedPortal;
    afterEach(() => portal.stop());

    const deliveredOnce = (count: number) => {
      expect(portal.deliveries.size).toBe(count);
      expect([...portal.deliveries.values()].every(n => n === 1)).toBe(true);
    };

    it('delivers a segment larger than the portal takes in parts under its bound, each event once', async () => {
      // 1000 routing decisions of 55 KB: a 55 MB segment, over the portal's 25 MB.
      portal = new LimitedPortal(25 * 1024 * 1024);
      const transport = new HttpBatchTransport(await portal.start(), 'token');
      const batch = segment(1000, 55_000);
      expect(batch.bodyBytes).toBeGreaterThan(50 * 1024 * 1024);
      await transport.send(batch);
      deliveredOnce(1000);
      expect(portal.statuses.every(status => status === 200)).toBe(true);
      expect(portal.bodies.length).toBeGreaterThan(1);
      expect(Math.max(...portal.bodies)).toBeLessThanOrEqual(MAX_BODY_BYTES);
    });

    it('halves a part the portal answers 413, down to single events, each event once', async () => {
      // A proxy before the portal that takes less than the gateway's bound.
      portal = new LimitedPortal(100_000);
      const transport = new HttpBatchTransport(await portal.start(), 'token');
      await transport.send(segment(100, 9_000));
      deliveredOnce(100);
      expect(portal.statuses).toContain(413);
    });

    it('refuses for good only an event too large alone, and delivers the rest of its batch', async () => {
      portal = new LimitedPortal(100_000);
      const transport = new HttpBatchTransport(await portal.start(), 'token');
      const sent = transport.send(segment(20, 9_000, [7, 12]));
      await expect(sent).rejects.toThrow(RefusedEventsError);
      await expect(sent).rejects.toMatchObject({
        events: 2,
        message: "portal refused 2 of the batch's 20 events with 413",
      });
      deliveredOnce(18);
      expect(portal.deliveries.has('event-7')).toBe(false);
      expect(portal.deliveries.has('event-12')).toBe(false);
    });

    it('goes on with a batch retried after a failure from the part that failed', async () => {
      portal = new LimitedPortal(25 * 1024 * 1024);
      const transport = new HttpBatchTransport(
        await portal.start(),
        'token',
        undefined,
        10_000,
        1_000_000,
      );
      const batch = segment(100, 50_000);
      const parts = batch.split(1_000_000).length;
      expect(parts).toBeGreaterThan(3);
      // The third part meets a portal restarting.
      portal.failAt = 3;
      await expect(transport.send(batch)).rejects.toThrow(
        'portal answered 503',
      );
      await transport.send(batch);
      deliveredOnce(100);
      expect(portal.statuses.filter(status => status === 200)).toHaveLength(
        parts,
      );
    });

    it('goes on from the half that failed when a part it had to halve meets a failure', async () => {
      // A proxy that takes 100 KB: the 900 KB segment goes in halves of halves (16 parts).
      portal = new LimitedPortal(100_000);
      const transport = new HttpBatchTransport(await portal.start(), 'token');
      const batch = segment(100, 9_000);
      // POSTs: 413 for the whole, its first half, quarter and eighth; that eighth's halves
      // 200; the second eighth 413, its halves 200; the second quarter and its first eighth
      // 413; the 12th, that eighth's first half, meets a restart.
      portal.failAt = 12;
      await expect(transport.send(batch)).rejects.toThrow(
        'portal answered 503',
      );
      const before = portal.deliveries.size;
      expect(before).toBeGreaterThan(0);
      await transport.send(batch);
      // Before, the retry sent the whole segment again: every part delivered before the
      // failure went twice, and under a flaky portal a large segment never got through.
      deliveredOnce(100);
      // The retry starts at the half that failed, not at the whole segment.
      expect(portal.statuses.slice(12, 13)).toEqual([200]);
    });
  });
});
