import {
  mkdtempSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SimulatorServer } from '@cellport/simulator';
import {
  eventually,
  postChat,
  startSimulator,
  testState,
  EventReceiver,
} from '../__testUtils__/fixtures';
import { startGatewayProcess, TestProcess } from '../__testUtils__/processes';

// Three gateway processes start in this test; each takes a few seconds to load.
jest.setTimeout(60_000);

/** One chat request, JSON or streamed; resolves with its request id once the whole answer arrived. */
async function chat(url: string, i: number): Promise<string> {
  const stream = i % 3 === 0;
  const response = await postChat(
    url,
    {
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: `crash test ${i}` }],
      stream,
    },
    { signal: AbortSignal.timeout(10_000) },
  );
  const body = await response.text();
  if (response.status !== 200) {
    throw new Error(`answered ${response.status}`);
  }
  if (stream && !body.includes('data: [DONE]')) {
    throw new Error('stream cut short');
  }
  return response.headers.get('x-request-id')!;
}

/**
 * Loads the gateway with concurrent requests and SIGKILLs it once `killAfter` answers arrived,
 * while requests are still in flight. Returns the ids of the requests whose answer arrived.
 */
async function loadAndKill(
  gateway: TestProcess & { url: string },
  killAfter: number,
  beforeKill: () => Promise<void> = async () => {},
  /** Once `from` is set, the ids of requests started from then on and answered. */
  startedLater: { from: boolean; answered: string[] } = {
    from: false,
    answered: [],
  },
): Promise<string[]> {
  const answered: string[] = [];
  let next = 0;
  const worker = async () => {
    for (let n = 0; n < 5_000; n++) {
      const later = startedLater.from;
      try {
        const id = await chat(gateway.url, next++);
        answered.push(id);
        if (later) startedLater.answered.push(id);
      } catch {
        return; // The gateway is gone.
      }
    }
  };
  const workers = Array.from({ length: 8 }, worker);
  await eventually(() => answered.length >= killAfter, 800);
  await beforeKill();
  await gateway.kill('SIGKILL');
  await Promise.all(workers);
  return answered;
}

/** Small segments, so that "redelivers at most one segment" is a bound the test can break. */
const SEGMENT_EVENTS = 50;

/** A gateway process's environment: the test state, a spool of its own, events to `portalUrl`. */
function gatewayEnv(simulatorUrl: string, portalUrl: string) {
  const work = mkdtempSync(join(tmpdir(), 'cellport-kill-'));
  const spoolDir = join(work, 'spool');
  const stateFile = join(work, 'state.json');
  writeFileSync(stateFile, JSON.stringify(testState(simulatorUrl)));
  const env = {
    GATEWAY_STATE_FILE: stateFile,
    GATEWAY_EVENTS: 'http',
    GATEWAY_EVENTS_URL: portalUrl,
    GATEWAY_EVENTS_TOKEN: 'portal-token',
    GATEWAY_SPOOL_DIR: spoolDir,
    GATEWAY_EVENTS_SEGMENT_EVENTS: String(SEGMENT_EVENTS),
    GATEWAY_REDIS_URL: '',
    GATEWAY_NATS_URL: '',
  };
  return { spoolDir, env };
}

describe('a gateway killed with SIGKILL under load', () => {
  let simulator: SimulatorServer;
  beforeAll(async () => {
    simulator = await startSimulator();
  });
  afterAll(() => simulator.stop());

  it('loses no event of an answered request and doubles none', async () => {
    const portal = new EventReceiver();
    const { spoolDir, env } = gatewayEnv(simulator.url, await portal.start());
    const gateways: TestProcess[] = [];
    const start = async () => {
      const gateway = await startGatewayProcess(env);
      gateways.push(gateway);
      return gateway;
    };
    try {
      // Killed while the portal takes events: some are in flight to it, some in the spool.
      const first = await loadAndKill(await start(), 150);
      // Killed while the portal is down: everything waits in the spool, open segment included.
      await portal.stop();
      const secondGateway = await start();
      const second = await loadAndKill(secondGateway, 150, async () => {
        // The spool's depth is exported while events wait in it.
        const metrics = await (
          await fetch(`${secondGateway.url}/metrics`)
        ).text();
        const depth = /^cellport_gateway_spool_bytes (\d+)/m.exec(metrics);
        expect(Number(depth?.[1])).toBeGreaterThan(0);
        expect(metrics).toMatch(/^cellport_gateway_spool_segments [1-9]/m);
        expect(metrics).toMatch(/^cellport_gateway_events_dropped_total 0$/m);
      });
      await portal.start();
      const last = await start();

      const answered = [...first, ...second];
      const missing = () => portal.withoutEvents(answered);
      await eventually(() => missing().length === 0, 800).catch(() => {
        throw new Error(
          `${missing().length} of ${
            answered.length
          } answered requests have no events`,
        );
      });
      for (const id of answered) {
        expect(portal.received.get(`${id}-rd`)).toMatchObject({
          requestId: id,
          type: 'routing-decision',
          outcome: 'success',
        });
        expect(portal.received.get(`${id}-us`)).toMatchObject({
          requestId: id,
          type: 'usage',
          outcome: 'success',
        });
      }
      // Nothing is doubled by rotation, recovery or restart. (A kill between the portal's
      // answer and the segment's deletion may redeliver one batch of the first run; the portal
      // dedupes by id. While the portal was down there was no such window.)
      for (const id of second) {
        expect(portal.deliveriesById.get(`${id}-rd`)).toBe(1);
        expect(portal.deliveriesById.get(`${id}-us`)).toBe(1);
      }
      const redelivered = [...portal.deliveriesById.values()].filter(
        n => n > 1,
      );
      // One segment: up to a batch, plus the requests of the turn that filled it.
      expect(redelivered.length).toBeLessThanOrEqual(2 * SEGMENT_EVENTS);

      await last.kill('SIGTERM');
      expect(readdirSync(spoolDir).filter(name => name !== 'dead')).toEqual([]);
    } finally {
      await Promise.all(gateways.map(gateway => gateway.kill()));
      await portal.stop();
    }
  });

  it('loses no event of a request answered after its spool directory was deleted, killed then', async () => {
    // A clean-up or a tmp reaper deletes the directory under load: the gateway went on
    // answering while it could write no segment, its events in memory, lost at the kill.
    const portal = new EventReceiver();
    const { spoolDir, env } = gatewayEnv(simulator.url, await portal.start());
    const gateways: TestProcess[] = [];
    try {
      const first = await startGatewayProcess(env);
      gateways.push(first);
      const afterDeletion = { from: false, answered: [] as string[] };
      await loadAndKill(
        first,
        100,
        async () => {
          // Out of its place at once, then deleted: a removal file by file races the
          // gateway's own writes into the directory (rmdir then fails, ENOTEMPTY).
          const gone = `${spoolDir}.deleted`;
          renameSync(spoolDir, gone);
          rmSync(gone, { recursive: true, force: true });
          afterDeletion.from = true;
          // Killed soon after: the segments open at the deletion are files no more, so what
          // a kill finds is what was written to files since.
          const answered = afterDeletion.answered;
          await eventually(() => answered.length >= 40, 800);
        },
        afterDeletion,
      );
      const afterIds = afterDeletion.answered;
      gateways.push(await startGatewayProcess(env));
      const missing = () => portal.withoutEvents(afterIds);
      await eventually(() => missing().length === 0, 800).catch(() => {
        throw new Error(
          `${missing().length} of the ${
            afterIds.length
          } requests answered after the spool directory was deleted have no events`,
        );
      });
    } finally {
      await Promise.all(gateways.map(gateway => gateway.kill()));
      await portal.stop();
    }
  });
});
