import { mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AckPolicy, connect, DeliverPolicy } from 'nats';
import type { SimulatorServer } from '@cellport/simulator';
import {
  eventually,
  postChat,
  startSimulator,
  testState,
} from '../__testUtils__/fixtures';
import {
  freePort,
  startGatewayProcess,
  startNatsServer,
  TestProcess,
} from '../__testUtils__/processes';
import { EVENTS_STREAM } from './NatsTransport';

// A NATS server of the test's own and a gateway process are killed and restarted under load.
jest.setTimeout(60_000);

async function chat(url: string, i: number): Promise<string> {
  const response = await postChat(
    url,
    {
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: `nats outage ${i}` }],
    },
    { signal: AbortSignal.timeout(10_000) },
  );
  await response.arrayBuffer();
  if (response.status !== 200) throw new Error(`answered ${response.status}`);
  return response.headers.get('x-request-id')!;
}

/** Every message of the stream, read once: its Nats-Msg-Id and the ids of its events. */
async function readStream(
  natsUrl: string,
): Promise<Array<{ msgId: string; eventIds: string[] }>> {
  const nc = await connect({ servers: natsUrl, timeout: 5000 });
  try {
    const jsm = await nc.jetstreamManager();
    const total = (await jsm.streams.info(EVENTS_STREAM)).state.messages;
    const consumer = await jsm.consumers.add(EVENTS_STREAM, {
      ack_policy: AckPolicy.None,
      deliver_policy: DeliverPolicy.All,
    });
    const reader = await nc
      .jetstream()
      .consumers.get(EVENTS_STREAM, consumer.name);
    const messages: Array<{ msgId: string; eventIds: string[] }> = [];
    for (let round = 0; round < 50 && messages.length < total; round++) {
      const batch = await reader.fetch({
        max_messages: total - messages.length,
        expires: 1000,
      });
      for await (const message of batch) {
        messages.push({
          msgId: message.headers?.get('Nats-Msg-Id') ?? '',
          eventIds: (
            message.json() as { events: Array<{ id: string }> }
          ).events.map(event => event.id),
        });
      }
    }
    return messages;
  } finally {
    await nc.close();
  }
}

/** A file's size; 0 once the running gateway has moved it on (sealed, sent, deleted). */
function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/** A NATS address, a work folder and a gateway process's settings, all the test's own. */
async function setUp(simulatorUrl: string, name: string) {
  const port = await freePort();
  const natsUrl = `127.0.0.1:${port}`;
  const work = mkdtempSync(join(tmpdir(), `cellport-${name}-`));
  const spoolDir = join(work, 'spool');
  const stateFile = join(work, 'state.json');
  writeFileSync(stateFile, JSON.stringify(testState(simulatorUrl)));
  const gatewayEnv = {
    GATEWAY_STATE_FILE: stateFile,
    GATEWAY_EVENTS: 'nats',
    GATEWAY_NATS_URL: natsUrl,
    GATEWAY_SPOOL_DIR: spoolDir,
    GATEWAY_EVENTS_URL: '',
    GATEWAY_REDIS_URL: '',
  };
  return { port, natsUrl, work, spoolDir, gatewayEnv };
}

/** Every event delivered: the spool holds nothing but its dead-letter folder and empty spares. */
function spoolEmpty(spoolDir: string): boolean {
  return (
    readdirSync(spoolDir).filter(
      name =>
        name !== 'dead' &&
        name !== 'owner.lock' &&
        sizeOf(join(spoolDir, name)) > 0,
    ).length === 0
  );
}

describe('NATS going away under load', () => {
  let simulator: SimulatorServer;
  beforeAll(async () => {
    simulator = await startSimulator();
  });
  afterAll(() => simulator.stop());

  it('keeps events in the spool while NATS is down, across a gateway SIGKILL, and delivers each exactly once when it returns', async () => {
    const { port, natsUrl, work, spoolDir, gatewayEnv } = await setUp(
      simulator.url,
      'nats',
    );
    const storeDir = join(work, 'jetstream');
    const processes: TestProcess[] = [];
    const start = async <T extends TestProcess>(started: Promise<T>) => {
      const child = await started;
      processes.push(child);
      return child;
    };
    const startGateway = () => start(startGatewayProcess(gatewayEnv));
    const answered: string[] = [];
    let next = 0;
    /** Requests until `until` holds or the gateway is gone; resolves when all workers ended. */
    const load = async (url: string, until: () => boolean) => {
      const worker = async () => {
        for (let n = 0; n < 20_000 && !until(); n++) {
          try {
            answered.push(await chat(url, next++));
          } catch {
            return;
          }
        }
      };
      await Promise.all(Array.from({ length: 6 }, worker));
    };
    try {
      let nats = await start(startNatsServer(port, storeDir));
      const first = await startGateway();
      let killed = false;
      const firstLoad = load(first.url, () => killed);
      await eventually(() => answered.length >= 100, 800);
      await nats.kill('SIGKILL');
      // Requests go on being answered at once; their events wait in the spool...
      const atOutage = answered.length;
      await eventually(() => answered.length >= atOutage + 150, 800);
      // ...and survive the gateway being killed in the middle of its load.
      await first.kill('SIGKILL');
      killed = true;
      await firstLoad;

      nats = await start(startNatsServer(port, storeDir));
      const second = await startGateway();
      const atRestart = answered.length;
      await load(second.url, () => answered.length >= atRestart + 100);

      await eventually(() => spoolEmpty(spoolDir), 800);
      const messages = await readStream(natsUrl);
      // The consumer dedupes by message id (a redelivered batch keeps its id); beyond that,
      // no event may appear in two messages.
      const seen = new Map<string, number>();
      const msgIds = new Set<string>();
      for (const message of messages) {
        if (msgIds.has(message.msgId)) continue;
        msgIds.add(message.msgId);
        for (const id of message.eventIds)
          seen.set(id, (seen.get(id) ?? 0) + 1);
      }
      const missing = answered.filter(
        id => seen.get(`${id}-rd`) !== 1 || seen.get(`${id}-us`) !== 1,
      );
      expect(missing).toEqual([]);
      expect([...seen.values()].filter(count => count !== 1)).toEqual([]);
    } finally {
      await Promise.all(processes.map(child => child.kill()));
    }
  });

  it.each(['SIGKILL', 'SIGTERM'] as const)(
    'puts every answered request in the stream once when NATS is restarted (%s) while the gateway publishes',
    async signal => {
      const { port, natsUrl, work, spoolDir, gatewayEnv } = await setUp(
        simulator.url,
        'nats-restart',
      );
      const storeDir = join(work, 'jetstream');
      const processes: TestProcess[] = [];
      try {
        let nats = await startNatsServer(port, storeDir);
        processes.push(nats);
        // Small segments sent often: publishes are in flight whenever NATS goes.
        const gateway = await startGatewayProcess({
          ...gatewayEnv,
          GATEWAY_EVENTS_FLUSH_MS: '10',
          GATEWAY_EVENTS_SEGMENT_EVENTS: '20',
        });
        processes.push(gateway);
        const answered: string[] = [];
        let stopped = false;
        let next = 0;
        const caller = async () => {
          while (!stopped) {
            answered.push(await chat(gateway.url, next++));
          }
        };
        const callers = Promise.all(Array.from({ length: 6 }, caller));
        for (let restart = 0; restart < 2; restart++) {
          await new Promise(resolve => setTimeout(resolve, 1_000));
          await nats.kill(signal);
          nats = await startNatsServer(port, storeDir);
          processes.push(nats);
        }
        await new Promise(resolve => setTimeout(resolve, 500));
        stopped = true;
        // Every request is answered while NATS is away: its events wait in the spool.
        await callers;
        await eventually(() => spoolEmpty(spoolDir), 1_200);
        const seen = new Map<string, number>();
        for (const message of await readStream(natsUrl)) {
          for (const id of message.eventIds) {
            seen.set(id, (seen.get(id) ?? 0) + 1);
          }
        }
        expect(
          answered.filter(
            id => seen.get(`${id}-rd`) !== 1 || seen.get(`${id}-us`) !== 1,
          ),
        ).toEqual([]);
      } finally {
        await Promise.all(processes.map(child => child.kill()));
      }
    },
  );

  it('recreates the stream when NATS comes back with an empty store, without a gateway restart', async () => {
    const { port, natsUrl, work, spoolDir, gatewayEnv } = await setUp(
      simulator.url,
      'nats-fresh',
    );
    const processes: TestProcess[] = [];
    try {
      let nats = await startNatsServer(port, join(work, 'store-1'));
      processes.push(nats);
      const gateway = await startGatewayProcess(gatewayEnv);
      processes.push(gateway);
      for (let i = 0; i < 10; i++) await chat(gateway.url, i);
      await eventually(() => spoolEmpty(spoolDir), 800);
      // The server comes back on the same address with nothing: no stream.
      await nats.kill('SIGKILL');
      nats = await startNatsServer(port, join(work, 'store-2'));
      processes.push(nats);
      const after: string[] = [];
      for (let i = 0; i < 10; i++) after.push(await chat(gateway.url, 100 + i));
      await eventually(() => spoolEmpty(spoolDir), 800);
      const delivered = new Set(
        (await readStream(natsUrl)).flatMap(message => message.eventIds),
      );
      expect(after.filter(id => !delivered.has(`${id}-us`))).toEqual([]);
    } finally {
      await Promise.all(processes.map(child => child.kill()));
    }
  });
});
