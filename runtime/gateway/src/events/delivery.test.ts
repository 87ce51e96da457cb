import OpenAI from 'openai';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, AckPolicy, DeliverPolicy } from 'nats';
import type { SimulatorServer } from '@cellport/simulator';
import {
  eventually,
  EventReceiver,
  KEYS,
  startGateway,
  startSimulator,
} from '../__testUtils__/fixtures';
import { DiskSpool } from './DiskSpool';
import { EventBatch } from './EventBatch';
import { SpooledEventDelivery } from './SpooledEventDelivery';
import { EVENTS_STREAM, NatsTransport, toMessages } from './NatsTransport';
import {
  eventBatchSchema,
  PlatformEvent,
} from '@cellport/plugin-platform-common';
import pino from 'pino';

// Real servers, Redis and NATS: generous limits so a loaded CI machine does not fail them.
jest.setTimeout(30_000);

const NATS_URL = process.env.CELLPORT_TEST_NATS_URL ?? '127.0.0.1:4222';

/** The machine's NATS, or an error naming what the test needs. */
async function connectTestNats() {
  try {
    return await connect({ servers: NATS_URL, timeout: 2000 });
  } catch (error) {
    throw new Error(
      `this test needs NATS with JetStream at ${NATS_URL} (set CELLPORT_TEST_NATS_URL): ${
        (error as Error).message
      }`,
    );
  }
}

const ask = (url: string, i: number) =>
  new OpenAI({
    apiKey: KEYS.northwind,
    baseURL: `${url}/v1`,
    maxRetries: 0,
  }).chat.completions.create({
    model: 'gpt-4o-mini',
    messages: [{ role: 'user', content: `event test ${i}` }],
  });

describe('event delivery', () => {
  let simulator: SimulatorServer;
  beforeAll(async () => {
    simulator = await startSimulator();
  });
  afterAll(() => simulator.stop());

  it('survives a portal outage and a gateway restart: none lost, none counted twice', async () => {
    const receiver = new EventReceiver();
    const portalUrl = await receiver.start();
    const spoolDir = mkdtempSync(join(tmpdir(), 'cellport-spool-'));
    const config = {
      events: {
        transport: 'http' as const,
        portalUrl,
        portalToken: 'portal-token',
        spoolDir,
        flushIntervalMs: 10,
        portalTimeoutMs: 10_000,
        segmentEvents: 1000,
      },
    };
    const start = async () => {
      const { gateway, url } = await startGateway(simulator.url, {
        config,
        realEvents: true,
      });
      return { gateway, url };
    };

    // Portal up: the first requests are delivered.
    let { gateway, url } = await start();
    for (let i = 0; i < 5; i++) await ask(url, i);
    await eventually(() => receiver.received.size === 10);

    // Portal down: requests still succeed at once; their events wait in the spool.
    await receiver.stop();
    for (let i = 5; i < 15; i++) await ask(url, i);
    await eventually(
      async () => (await new DiskSpool(spoolDir).segments()).length > 0,
    );

    // Gateway restarts while the portal is still down.
    await gateway.stop();
    ({ gateway, url } = await start());
    for (let i = 15; i < 20; i++) await ask(url, i);

    // Portal comes back on the same address: everything arrives.
    await receiver.start();
    await eventually(() => receiver.received.size === 40, 400);
    await gateway.stop();

    const events = [...receiver.received.values()];
    const requestIds = new Set(events.map(event => event.requestId));
    expect(requestIds.size).toBe(20);
    expect(events.filter(e => e.type === 'usage')).toHaveLength(20);
    expect(events.filter(e => e.type === 'routing-decision')).toHaveLength(20);
    // Redelivery is possible in at-least-once delivery; ids make it harmless.
    expect(receiver.deliveries).toBeGreaterThanOrEqual(40);
    expect(await new DiskSpool(spoolDir).segments()).toEqual([]);
    expect(receiver.rejected).toBe(0);
    await receiver.stop();
  });

  it('publishes EventBatch messages to NATS JetStream, deduplicated by message id', async () => {
    const nc = await connectTestNats();
    const transport = new NatsTransport(NATS_URL);
    const spool = new DiskSpool(mkdtempSync(join(tmpdir(), 'cellport-spool-')));
    const sink = new SpooledEventDelivery(
      spool,
      transport,
      pino({ level: 'silent' }),
      {
        flushIntervalMs: 10,
        batchSize: 100,
        maxBackoffMs: 1000,
      },
    );
    const { gateway, url } = await startGateway(simulator.url, {
      overrides: { events: sink },
    });
    const cell = `nats-test-${Date.now()}`;
    gateway.deps.state.apply({
      ...gateway.deps.state.current!.document,
      cell,
      version: cell,
    });
    const jsm = await nc.jetstreamManager();
    let consumerName: string | undefined;
    try {
      for (let i = 0; i < 3; i++) await ask(url, i);
      await sink.drain();
      expect(await spool.segments()).toEqual([]);
      const consumer = await jsm.consumers.add(EVENTS_STREAM, {
        filter_subject: `cellport.events.${cell}`,
        ack_policy: AckPolicy.None,
        deliver_policy: DeliverPolicy.All,
      });
      consumerName = consumer.name;
      const js = nc.jetstream();
      const reader = await js.consumers.get(EVENTS_STREAM, consumer.name);
      const events: PlatformEvent[] = [];
      const messages: Array<{ id: string; payload: Uint8Array }> = [];
      const fetched = await reader.fetch({ max_messages: 100, expires: 1000 });
      for await (const message of fetched) {
        messages.push({
          id: message.headers?.get('Nats-Msg-Id') ?? '',
          payload: message.data,
        });
        // The portal's consumer reads each message as one EventBatch.
        events.push(...eventBatchSchema.parse(message.json()).events);
        if (events.length === 6) break;
      }
      expect(events).toHaveLength(6);
      expect(new Set(events.map(event => event.id)).size).toBe(6);
      // A redelivered batch (at-least-once) is absorbed by the stream's duplicate window.
      const before = (await jsm.streams.info(EVENTS_STREAM)).state.messages;
      for (const message of messages) {
        const ack = await js.publish(
          `cellport.events.${cell}`,
          message.payload,
          { msgID: message.id },
        );
        expect(ack.duplicate).toBe(true);
      }
      expect((await jsm.streams.info(EVENTS_STREAM)).state.messages).toBe(
        before,
      );
    } finally {
      if (consumerName) await jsm.consumers.delete(EVENTS_STREAM, consumerName);
      await gateway.stop();
      await nc.drain();
    }
  });
});

/** Events as a spool segment holds them. */
const batchOf = (events: string[]) =>
  EventBatch.fromSegment(Buffer.from(events.map(json => `${json}\n`).join('')));

describe('NatsTransport', () => {
  it("refuses for good an event larger than the server's max_payload, and publishes the rest", async () => {
    const nc = await connectTestNats();
    const maxPayload = nc.info!.max_payload;
    const cell = `nats-large-${Date.now()}`;
    const event = (id: string, padding: number) =>
      JSON.stringify({ id, cell, padding: 'x'.repeat(padding) });
    const transport = new NatsTransport(NATS_URL);
    const jsm = await nc.jetstreamManager();
    try {
      await expect(
        transport.send(
          batchOf([
            event('small-1', 10),
            event('huge', maxPayload + 1),
            event('small-2', 10),
          ]),
        ),
      ).rejects.toMatchObject({ name: 'RefusedEventsError', events: 1 });
      const stored = await jsm.streams.info(EVENTS_STREAM, {
        subjects_filter: `cellport.events.${cell}`,
      });
      // Both small events, in the messages of the parts around the refused one.
      expect(stored.state.subjects?.[`cellport.events.${cell}`]).toBe(2);
    } finally {
      await jsm.streams.purge(EVENTS_STREAM, {
        filter: `cellport.events.${cell}`,
      });
      await transport.close();
      await nc.drain();
    }
  });
});

describe('toMessages', () => {
  it('splits large batches under the payload limit, with ids stable across retries', () => {
    const event = (i: number) =>
      JSON.stringify({
        id: `event-${String(i).padStart(6, '0')}`,
        padding: 'x'.repeat(2000),
      });
    const events = Array.from({ length: 600 }, (_, i) => event(i));
    const first = toMessages(batchOf(events));
    expect(first.length).toBeGreaterThan(1);
    for (const message of first)
      expect(message.payload.length).toBeLessThanOrEqual(512 * 1024);
    expect(toMessages(batchOf(events)).map(m => m.id)).toEqual(
      first.map(m => m.id),
    );
    const total = first.reduce(
      (n, m) => n + JSON.parse(m.payload.toString('utf8')).events.length,
      0,
    );
    expect(total).toBe(600);
  });

  it('measures the limit in bytes: text in any script stays under it on the wire', () => {
    const events = Array.from({ length: 600 }, (_, i) =>
      JSON.stringify({ id: `event-${i}`, padding: '東京'.repeat(1000) }),
    );
    for (const message of toMessages(batchOf(events))) {
      expect(message.payload.length).toBeLessThanOrEqual(512 * 1024);
    }
  });
});
