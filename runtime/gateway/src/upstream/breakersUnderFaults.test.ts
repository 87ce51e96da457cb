/**
 * Circuit breakers and fallback keep serving while a primary upstream misbehaves in ways a
 * single outage does not show: it flaps between failing and healthy, dies while state pushes
 * rebuild the routes, or is shared with another tenant whose traffic keeps failing on it. At
 * least 99% of requests are served throughout, and a primary back for good gets its traffic
 * back.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SimulatorServer } from '@cellport/simulator';
import { RawUpstream } from '../__testUtils__/RawUpstream';
import {
  ADMIN_TOKEN,
  chatCompletion,
  KEYS,
  postChat,
  startGateway,
  startSimulator,
  testState,
} from '../__testUtils__/fixtures';

// Bursts of hundreds of requests, and a primary that flaps for seconds.
jest.setTimeout(60_000);

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

/** The primary's own answer: its model is `m`, where the fallback's is eu-small's. */
const healthy = (_req: IncomingMessage, res: ServerResponse) =>
  res
    .writeHead(200, { 'content-type': 'application/json' })
    .end(chatCompletion({ content: 'primary' }, { prompt: 3, completion: 1 }));
const failing = (_req: IncomingMessage, res: ServerResponse) =>
  res
    .writeHead(500, { 'content-type': 'application/json' })
    .end('{"error":{"message":"down"}}');

/** A chat request (nw-assistant's unless told): its status and the model that answered. */
async function ask(url: string, key = KEYS.northwindAgent, model = 'auto') {
  const response = await postChat(
    url,
    { model, messages: [{ role: 'user', content: 'hello' }] },
    { key, signal: AbortSignal.timeout(20_000) },
  );
  const body = await response.json();
  return { status: response.status, model: body.model as string | undefined };
}

describe('breakers and fallback against a misbehaving primary', () => {
  let simulator: SimulatorServer;
  let primary: RawUpstream;
  let primaryUrl: string;

  beforeAll(async () => {
    simulator = await startSimulator();
    primary = new RawUpstream();
    primaryUrl = await primary.start();
  });
  afterAll(async () => {
    await primary.stop();
    await simulator.stop();
  });

  /** The test state with nw-assistant's preferred profile (eu-large) on the raw primary. */
  function stateWithRawPrimary(version = 'v1') {
    const state = testState(simulator.url, version);
    state.modelProfiles.find(
      p => p.id === 'eu-large',
    )!.endpoint = `${primaryUrl}/v1`;
    return state;
  }

  it('serves 99% while the primary flaps, and closes its circuit once it is back for good', async () => {
    const openMs = 400;
    const { gateway, url } = await startGateway(simulator.url, {
      state: stateWithRawPrimary(),
      overrides: { breaker: { failureThreshold: 3, openMs } },
    });
    let flapping = true;
    const flapper = (async () => {
      for (let up = false; flapping; up = !up) {
        primary.answer = up ? healthy : failing;
        await sleep(250);
      }
    })();
    try {
      const statuses: number[] = [];
      const until = Date.now() + 4_000;
      await Promise.all(
        Array.from({ length: 10 }, async () => {
          while (Date.now() < until) statuses.push((await ask(url)).status);
        }),
      );
      flapping = false;
      await flapper;
      primary.answer = healthy;
      const served = statuses.filter(status => status === 200).length;
      expect(served / statuses.length).toBeGreaterThanOrEqual(0.99);
      // Back for good: within three open periods the primary takes the traffic again.
      await sleep(3 * openMs);
      const models: Array<string | undefined> = [];
      for (let i = 0; i < 20; i++) models.push((await ask(url)).model);
      expect(gateway.deps.health.get('eu-large').breaker.state).toBe('closed');
      expect(models.slice(-10)).toEqual(Array(10).fill('m'));
    } finally {
      flapping = false;
      await flapper;
      await gateway.stop();
    }
  });

  it('serves 99% of a burst at a primary that dies while states are pushed', async () => {
    primary.answer = (req, res) => {
      setTimeout(() => failing(req, res), 500);
    };
    const { gateway, url } = await startGateway(simulator.url, {
      state: stateWithRawPrimary(),
    });
    try {
      const burst = Promise.all(Array.from({ length: 200 }, () => ask(url)));
      const pushes: number[] = [];
      for (let version = 2; version < 8; version++) {
        const pushed = await fetch(`${url}/control/state`, {
          method: 'PUT',
          headers: {
            authorization: `Bearer ${ADMIN_TOKEN}`,
            'content-type': 'application/json',
          },
          body: JSON.stringify(stateWithRawPrimary(`v${version}`)),
        });
        await pushed.arrayBuffer();
        pushes.push(pushed.status);
        await sleep(50);
      }
      expect(pushes).toEqual(Array(6).fill(200));
      const served = (await burst).filter(r => r.status === 200).length;
      expect(served).toBeGreaterThanOrEqual(198);
    } finally {
      await gateway.stop();
    }
  });

  it("serves one tenant's failover while another tenant's traffic keeps failing on the upstream they share", async () => {
    // Brightpath's gpt-4o (us-large) and nw-assistant's primary (eu-large) are one dead
    // deployment; only nw-assistant has fallbacks. A breaker that never opens keeps
    // Brightpath's failures coming.
    const state = stateWithRawPrimary();
    const usLarge = state.modelProfiles.find(p => p.id === 'us-large')!;
    usLarge.endpoint = `${primaryUrl}/v1`;
    usLarge.upstreamModel = 'eu-large-model';
    primary.answer = failing;
    const { gateway, url } = await startGateway(simulator.url, {
      state,
      overrides: { breaker: { failureThreshold: 1_000_000, openMs: 60_000 } },
    });
    try {
      const [, victim] = await Promise.all([
        Promise.all(
          Array.from({ length: 300 }, () =>
            ask(url, KEYS.brightpath, 'gpt-4o'),
          ),
        ),
        Promise.all(Array.from({ length: 200 }, () => ask(url))),
      ]);
      const served = victim.filter(r => r.status === 200).length;
      expect(served).toBeGreaterThanOrEqual(198);
    } finally {
      await gateway.stop();
    }
  });
});
