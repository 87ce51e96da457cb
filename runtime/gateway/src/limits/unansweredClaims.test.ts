import Redis from 'ioredis';
import {
  freePort,
  startRedisServer,
  TestProcess,
} from '../__testUtils__/processes';
import { limitKeys, LimitRequest, minuteOf, monthOf, NANO } from './Limiter';
import { REDIS_COMMAND_TIMEOUT_MS, RedisLimiter } from './RedisLimiter';

// A Redis of the test's own is frozen (SIGSTOP) past the command timeout while claims are in
// flight, then thawed: the claims it then runs must not hold budget for the rest of the month.
jest.setTimeout(60_000);

const BUDGET_USD = 10;
/**
 * How a claim to a frozen Redis fails: it times out, or, once a timeout has dropped the
 * connection, is refused at once while the client connects again.
 */
const REFUSED = /^(Command timed out|Stream isn't writeable)/;
/** Every request's clock: a loaded run that crosses a minute keeps one minute's counters. */
const NOW = Date.now();

/** Retries `check` until its expectations hold, for at most about ten seconds. */
async function settlesTo(check: () => Promise<void>): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await check();
      return;
    } catch (error) {
      if (attempt >= 200) throw error;
    }
    await new Promise(resolve => setTimeout(resolve, 50));
  }
}

describe('claims Redis answered too late', () => {
  let redis: TestProcess;
  let reader: Redis;
  let limiter: RedisLimiter;

  beforeAll(async () => {
    const port = await freePort();
    redis = await startRedisServer(port);
    reader = new Redis(port, '127.0.0.1');
    limiter = new RedisLimiter(`redis://127.0.0.1:${port}`);
  });
  afterAll(async () => {
    await limiter.close();
    reader.disconnect();
    await redis.kill();
  });

  const request = (tenant: string, costUsd: number): LimitRequest => ({
    tenant,
    limits: { requestsPerMinute: 1000, tokensPerMinute: 1_000_000 },
    tenantBudgetUsd: BUDGET_USD,
    tokens: 100,
    costUsd,
    nowMs: NOW,
  });
  const counters = async (tenant: string) => {
    const keys = limitKeys(tenant, undefined, minuteOf(NOW), monthOf(NOW));
    const [requests, tokens, budget] = await reader.mget(
      keys.requests,
      keys.tokens,
      keys.tenantBudget,
    );
    return {
      requests: Number(requests ?? 0),
      tokens: Number(tokens ?? 0),
      spentUsd: Number(budget ?? 0) / NANO,
      open: (await reader.keys(`cellport:{${tenant}}:reservation:*`)).length,
    };
  };

  /** Freezes Redis past the command timeout while `claims` are sent, then thaws it. */
  async function frozenWhile<T>(claims: () => Promise<T>[]): Promise<string[]> {
    redis.child.kill('SIGSTOP');
    const answers = claims().map(claim =>
      claim.then(
        () => 'answered',
        (error: Error) => error.message,
      ),
    );
    await new Promise(resolve =>
      setTimeout(resolve, REDIS_COMMAND_TIMEOUT_MS + 500),
    );
    redis.child.kill('SIGCONT');
    return Promise.all(answers);
  }

  it('releases each claim that timed out and then landed, even when its release first meets Redis frozen again', async () => {
    const tenant = `stalled-${Math.random().toString(36).slice(2, 8)}`;
    const first = await limiter.reserve(request(tenant, 2));
    if (!first.ok) throw new Error(first.message);
    await limiter.settle(first.reservation, { tokens: 10, costUsd: 0.01 });
    await settlesTo(async () =>
      expect((await counters(tenant)).spentUsd).toBeCloseTo(0.01, 6),
    );

    // Four requests of $2 each, every one sent while Redis is frozen: each is refused (503 in
    // the gateway); the releases of the earlier ones meet the later freezes.
    const frozenReserve = () =>
      frozenWhile(() => [limiter.reserve(request(tenant, 2))]);
    for (let i = 0; i < 4; i++) {
      expect(await frozenReserve()).toEqual([expect.stringMatching(REFUSED)]);
    }

    await settlesTo(async () =>
      expect(await counters(tenant)).toEqual({
        requests: 1,
        tokens: 10,
        spentUsd: expect.closeTo(0.01, 6),
        open: 0,
      }),
    );
    // The tenant has $9.99 left, as before the freezes.
    const after = await limiter.reserve(request(tenant, 9.9));
    expect(after.ok).toBe(true);
  });

  it('releases the claims of several tenants sent in one pipeline', async () => {
    const tenants = ['a', 'b', 'c'].map(
      name => `piped-${name}-${Math.random().toString(36).slice(2, 8)}`,
    );
    const answers = await frozenWhile(() =>
      tenants.map(tenant => limiter.reserve(request(tenant, 5))),
    );
    expect(answers).toEqual(tenants.map(() => expect.stringMatching(REFUSED)));
    for (const tenant of tenants) {
      await settlesTo(async () =>
        expect(await counters(tenant)).toMatchObject({
          spentUsd: 0,
          open: 0,
        }),
      );
      const whole = await limiter.reserve(request(tenant, BUDGET_USD));
      expect(whole.ok).toBe(true);
    }
  });
});
