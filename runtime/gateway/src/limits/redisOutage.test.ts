import Redis from 'ioredis';
import type { SimulatorServer } from '@cellport/simulator';
import {
  eventually,
  postChat,
  startGateway,
  startSimulator,
} from '../__testUtils__/fixtures';
import {
  freePort,
  startRedisServer,
  TestProcess,
} from '../__testUtils__/processes';

// A Redis of the test's own is killed, frozen and restarted; requests run all along.
jest.setTimeout(60_000);

/** Longer than any answer may take: a request still open after it counts as hung. */
const ANSWER_BOUND_MS = 5_000;

interface Answer {
  /** The phase the request started in. */
  phase: string;
  status: number;
  code?: string;
}

/** Concurrent requests until stopped; every answer is recorded with the phase it started in. */
function runLoad(url: string) {
  const answers: Answer[] = [];
  const unexpected: string[] = [];
  let phase = 'up';
  let stopped = false;
  const worker = async () => {
    for (let n = 0; n < 20_000 && !stopped; n++) {
      const startedIn = phase;
      try {
        const response = await postChat(
          url,
          {
            model: 'gpt-4o-mini',
            messages: [{ role: 'user', content: `redis outage ${n}` }],
          },
          { signal: AbortSignal.timeout(ANSWER_BOUND_MS) },
        );
        const body = await response.json();
        const answer = {
          phase: startedIn,
          status: response.status,
          code: body.error?.code,
        };
        answers.push(answer);
        if (
          answer.status !== 200 &&
          !(answer.status === 503 && answer.code === 'limits_unavailable')
        ) {
          unexpected.push(`${answer.status} ${answer.code}`);
        }
      } catch (error) {
        unexpected.push(`no answer: ${(error as Error).message}`);
      }
    }
  };
  const workers = Array.from({ length: 8 }, worker);
  const count = (startedIn: string, status: number) =>
    answers.filter(a => a.phase === startedIn && a.status === status).length;
  return {
    unexpected,
    count,
    enter(next: string) {
      phase = next;
    },
    async stop() {
      stopped = true;
      await Promise.all(workers);
    },
  };
}

describe('Redis going away under load', () => {
  let simulator: SimulatorServer;
  beforeAll(async () => {
    simulator = await startSimulator();
  });
  afterAll(() => simulator.stop());

  async function setUp() {
    const port = await freePort();
    const redisUrl = `redis://127.0.0.1:${port}`;
    const redis = { server: await startRedisServer(port) };
    const { gateway, url } = await startGateway(simulator.url, {
      config: { redisUrl },
    });
    return { port, redisUrl, redis, gateway, url };
  }

  it('frozen before the gateway started: waits once for the first connection, then answers 503 at once', async () => {
    const port = await freePort();
    const redis = await startRedisServer(port);
    redis.child.kill('SIGSTOP');
    const { gateway, url } = await startGateway(simulator.url, {
      config: { redisUrl: `redis://127.0.0.1:${port}` },
    });
    const ask = async (n: number) => {
      const response = await postChat(
        url,
        {
          model: 'gpt-4o-mini',
          messages: [{ role: 'user', content: `frozen at start ${n}` }],
        },
        { signal: AbortSignal.timeout(ANSWER_BOUND_MS) },
      );
      return `${response.status} ${(await response.json()).error?.code}`;
    };
    // Every wait for the connection listens for its `ready` once: counted, not timed.
    const waits = jest.spyOn(Redis.prototype, 'once');
    const readyWaits = () =>
      waits.mock.calls.filter(([event]) => event === 'ready').length;
    try {
      // The first request waits (at most the command timeout) for a connection that never
      // comes; the others do not wait for it again, each its own second.
      expect(await ask(0)).toBe('503 limits_unavailable');
      const answers: string[] = [];
      for (let n = 1; n <= 10; n++) answers.push(await ask(n));
      expect(answers).toEqual(Array(10).fill('503 limits_unavailable'));
      // Eleven waits of a second each before, one a request.
      expect(readyWaits()).toBe(1);
    } finally {
      waits.mockRestore();
      await gateway.stop();
      redis.child.kill('SIGCONT');
      await redis.kill();
    }
  });

  it('killed: answers 503 limits_unavailable at once, never 500 or a hang, counts no refused request, and recovers', async () => {
    const { port, redisUrl, redis, gateway, url } = await setUp();
    const load = runLoad(url);
    let restarted: TestProcess | undefined;
    try {
      await eventually(() => load.count('up', 200) >= 50, 800);
      load.enter('down');
      await redis.server.kill('SIGKILL');
      await eventually(() => load.count('down', 503) >= 30, 800);
      restarted = await startRedisServer(port);
      load.enter('back');
      await eventually(() => load.count('back', 200) >= 30, 800);
      await load.stop();

      expect(load.unexpected).toEqual([]);
      // The restarted Redis is empty: it counted exactly the requests that were served after
      // the kill. A refused request must not have been queued and replayed into it.
      const reader = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
      try {
        const keys = await reader.keys('cellport:{northwind}:rpm:*');
        const counted = (await reader.mget(...keys)).reduce(
          (sum, value) => sum + Number(value ?? 0),
          0,
        );
        expect(counted).toBe(load.count('down', 200) + load.count('back', 200));
      } finally {
        reader.disconnect();
      }
    } finally {
      await load.stop();
      await gateway.stop();
      await restarted?.kill();
    }
  });

  it('frozen (SIGSTOP): answers 503 within the command timeout instead of hanging, and recovers', async () => {
    const { redis, gateway, url } = await setUp();
    const load = runLoad(url);
    try {
      await eventually(() => load.count('up', 200) >= 30, 800);
      load.enter('frozen');
      redis.server.child.kill('SIGSTOP');
      await eventually(() => load.count('frozen', 503) >= 10, 800);
      redis.server.child.kill('SIGCONT');
      load.enter('thawed');
      await eventually(() => load.count('thawed', 200) >= 30, 800);
      await load.stop();
      expect(load.unexpected).toEqual([]);
    } finally {
      redis.server.child.kill('SIGCONT');
      await load.stop();
      await gateway.stop();
      await redis.server.kill();
    }
  });
});
