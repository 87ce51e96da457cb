import type { SimulatorServer } from '@cellport/simulator';
import Redis from 'ioredis';
import {
  postChat,
  startGateway,
  startSimulator,
  testState,
} from '../__testUtils__/fixtures';
import {
  freePort,
  startRedisServer,
  TestProcess,
} from '../__testUtils__/processes';
import { CuttableLink } from '../__testUtils__/CuttableLink';

// README, "Redis outage policy": a command without an answer fails after 1 s ("for a Redis that
// hangs rather than dies"), "the client reconnects by itself ... and requests are served again as
// soon as it has". Here the gateway's connection to Redis is black-holed for good (the route to
// the old connection is gone: Redis moved or failed over, a NAT/conntrack entry was lost), while
// Redis itself is up and reachable by any new connection.
jest.setTimeout(60_000);

/** Longer than any answer may take. */
const ANSWER_BOUND_MS = 5_000;
/** Redis has been reachable again all along; 15 command timeouts is generous. */
const RECOVERY_BOUND_MS = 15_000;

describe('a gateway whose Redis connection is black-holed while Redis stays reachable', () => {
  let simulator: SimulatorServer;
  let redis: TestProcess;
  let link: CuttableLink;
  let scrapeLink: CuttableLink;

  beforeAll(async () => {
    simulator = await startSimulator();
    const port = await freePort();
    redis = await startRedisServer(port);
    link = new CuttableLink({ host: '127.0.0.1', port });
    scrapeLink = new CuttableLink({ host: '127.0.0.1', port });
  });
  afterAll(async () => {
    await link.cut();
    await scrapeLink.cut();
    await simulator.stop();
    await redis.kill();
  });

  it('answers 503 limits_unavailable within the bound meanwhile, and reconnects by itself so that requests are served again', async () => {
    const linkPort = await link.open();
    const { gateway, url } = await startGateway(simulator.url, {
      config: { redisUrl: `redis://127.0.0.1:${linkPort}` },
    });
    const ask = async (n: number) => {
      const started = Date.now();
      try {
        const response = await postChat(
          url,
          {
            model: 'gpt-4o-mini',
            messages: [{ role: 'user', content: `stranded ${n}` }],
          },
          { signal: AbortSignal.timeout(ANSWER_BOUND_MS) },
        );
        const body = await response.json();
        return {
          status: response.status,
          code: body.error?.code as string | undefined,
          ms: Date.now() - started,
        };
      } catch (error) {
        return {
          status: 0,
          code: (error as Error).message,
          ms: Date.now() - started,
        };
      }
    };
    try {
      expect((await ask(0)).status).toBe(200);
      link.strand();
      const answers: Array<{ status: number; code?: string; ms: number }> = [];
      const deadline = Date.now() + RECOVERY_BOUND_MS;
      let served = false;
      for (let n = 1; Date.now() < deadline; n++) {
        const answer = await ask(n);
        answers.push(answer);
        if (answer.status === 200) {
          served = true;
          break;
        }
        await new Promise(resolve => setTimeout(resolve, 200));
      }
      const unexpected = answers.filter(
        a =>
          a.status !== 200 &&
          !(a.status === 503 && a.code === 'limits_unavailable'),
      );
      expect(unexpected).toEqual([]);
      const observed = served
        ? 'served again'
        : `never served in ${RECOVERY_BOUND_MS} ms after the connection was black-holed: ${
            answers.length
          } answers (${[
            ...new Set(answers.map(a => `${a.status} ${a.code ?? ''}`)),
          ].join(', ')}, slowest ${Math.max(...answers.map(a => a.ms))} ms), ${
            link.connections - 1
          } new connections opened to Redis`;
      expect(observed).toBe('served again');
    } finally {
      await gateway.stop();
    }
  });

  it("drops a stranded connection once, however many of a scrape's reads time out on it", async () => {
    // A scrape reads every tenant's spend at once: each read that timed out dropped the
    // connection again, adding a listener to its socket each time until it closed (Node warned
    // past ten).
    const state = testState(simulator.url);
    const [tenant] = state.tenants;
    for (let n = 0; n < 40; n++) {
      state.tenants.push({ ...tenant, id: `tenant-${n}` });
    }
    const linkPort = await scrapeLink.open();
    const { gateway, url } = await startGateway(simulator.url, {
      config: { redisUrl: `redis://127.0.0.1:${linkPort}` },
      state,
    });
    const drops = jest.spyOn(Redis.prototype, 'disconnect');
    try {
      const before = await fetch(`${url}/metrics`);
      expect(await before.text()).toContain(
        'cellport_gateway_budget_remaining_usd{tenant="tenant-39"}',
      );
      scrapeLink.strand();
      const during = await fetch(`${url}/metrics`, {
        signal: AbortSignal.timeout(ANSWER_BOUND_MS),
      });
      expect(during.status).toBe(200);
      // No figure rather than a stale one while the counters cannot be read.
      expect(await during.text()).not.toContain(
        'cellport_gateway_budget_remaining_usd{',
      );
      expect(drops).toHaveBeenCalledTimes(1);
    } finally {
      drops.mockRestore();
      await gateway.stop();
    }
  });
});
