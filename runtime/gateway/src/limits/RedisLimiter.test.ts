import Redis from 'ioredis';
import { eventually } from '../__testUtils__/fixtures';
import {
  limitKeys,
  LimitRequest,
  minuteOf,
  monthOf,
  NANO,
  reservationKey,
} from './Limiter';
import { RedisLimiter } from './RedisLimiter';
import { connectTestRedis, TEST_REDIS_URL } from '../__testUtils__/testRedis';
import { CuttableLink } from '../__testUtils__/CuttableLink';

// Real servers, Redis and NATS: generous limits so a loaded CI machine does not fail them.
jest.setTimeout(30_000);

const now = Date.parse('2026-11-23T10:00:00Z');

/** A request of `costUsd` against a budget of $1 and roomy rate limits. */
const limitRequest = (tenant: string, costUsd: number): LimitRequest => ({
  tenant,
  limits: { requestsPerMinute: 1000, tokensPerMinute: 1_000_000 },
  tenantBudgetUsd: 1,
  tokens: 100,
  costUsd,
  nowMs: now,
});

/** Two replicas of a cell, sharing one Redis. */
describe('RedisLimiter between replicas', () => {
  const tenant = `refunds-${Math.random().toString(36).slice(2, 10)}`;
  const request = (costUsd: number) => limitRequest(tenant, costUsd);
  let a: RedisLimiter;
  let b: RedisLimiter;

  beforeEach(async () => {
    (await connectTestRedis()).disconnect();
    a = new RedisLimiter(TEST_REDIS_URL);
    b = new RedisLimiter(TEST_REDIS_URL);
  });
  afterEach(async () => {
    await Promise.all([a.close(), b.close()]);
    const redis = new Redis(TEST_REDIS_URL);
    const keys = await redis.keys(`cellport:{${tenant}}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  it('gives a refund back to every replica without another request, and charges an overspend at once', async () => {
    const first = await a.reserve(request(0.6));
    if (!first.ok) throw new Error('the first reservation must fit');
    expect(await b.reserve(request(0.6))).toMatchObject({
      ok: false,
      reason: 'budget-exhausted',
    });

    // Most of the reservation comes back; replica A sends nothing more, yet B sees it.
    await a.settle(first.reservation, { tokens: 50, costUsd: 0.1 });
    expect((await a.monthSpendUsd([tenant], now))[0]).toBeCloseTo(0.1, 9);
    await eventually(async () => (await b.reserve(request(0.6))).ok);
    expect((await b.monthSpendUsd([tenant], now))[0]).toBeCloseTo(0.7, 9);

    // An upstream that ignored max_tokens: the overspend counts before settle resolves, so the
    // other replica refuses the very next request.
    const small = await a.reserve(request(0.01));
    if (!small.ok) throw new Error('a small reservation must fit');
    await a.settle(small.reservation, { tokens: 5000, costUsd: 0.5 });
    expect(await b.reserve(request(0.01))).toMatchObject({
      ok: false,
      reason: 'budget-exhausted',
    });
    expect((await b.monthSpendUsd([tenant], now))[0]).toBeCloseTo(1.2, 9);
  });

  it('sends held refunds before it closes', async () => {
    const first = await a.reserve(request(0.9));
    if (!first.ok) throw new Error('the reservation must fit');
    await a.settle(first.reservation, { tokens: 0, costUsd: 0 });
    await a.close();
    expect((await b.monthSpendUsd([tenant], now))[0]).toBe(0);
    a = new RedisLimiter(TEST_REDIS_URL);
  });

  it("settles held refunds with the tenant's next claim, on counters that claim leaves alone, and a lost reservation at its actual amounts", async () => {
    const agentRequest: LimitRequest = {
      ...request(0.3),
      agent: 'helper',
      agentLimits: { requestsPerMinute: 100, tokensPerMinute: 1_000_000 },
      agentBudgetUsd: 1,
    };
    const withAgent = await a.reserve(agentRequest);
    const lost = await a.reserve(request(0.3));
    if (!withAgent.ok || !lost.ok) throw new Error('both must fit');
    const redis = await connectTestRedis();
    try {
      // Redis no longer holds the second reservation open (restored from an older snapshot).
      await redis.del(reservationKey(tenant, lost.reservation.id));
      await a.settle(withAgent.reservation, { tokens: 10, costUsd: 0.1 });
      await a.settle(lost.reservation, { tokens: 20, costUsd: 0.05 });
      // Sent at once: the refunds above ride on this claim, which has no agent counters.
      expect((await a.reserve(request(0.01))).ok).toBe(true);

      const keys = limitKeys(tenant, 'helper', minuteOf(now), monthOf(now));
      const [budget, agentBudget, agentTokens, tokens] = (
        await redis.mget(
          keys.tenantBudget,
          keys.agentBudget,
          keys.agentTokens,
          keys.tokens,
        )
      ).map(Number);
      // $0.3 + $0.3 - $0.2 given back + $0.05 charged again (its reservation was lost) + $0.01.
      expect(budget / NANO).toBeCloseTo(0.46, 9);
      expect(agentBudget / NANO).toBeCloseTo(0.1, 9);
      expect(agentTokens).toBe(10);
      // 100 + 100 - 90 given back + 20 charged again + 100.
      expect(tokens).toBe(230);
    } finally {
      redis.disconnect();
    }
  });

  it('never takes a counter below zero with the refunds of reservations made before Redis lost its counters', async () => {
    const held = await Promise.all([
      a.reserve(request(0.4)),
      a.reserve(request(0.4)),
    ]);
    // Redis restarted empty (no persistence): the counters are gone.
    const redis = await connectTestRedis();
    const keys = await redis.keys(`cellport:{${tenant}}:*`);
    await redis.del(...keys);
    redis.disconnect();
    const after = await b.reserve(request(0.1));
    expect(after.ok).toBe(true);
    // The requests in flight before the restart fail: their reservations come back.
    for (const verdict of held) {
      if (!verdict.ok) throw new Error('the reservations must fit');
      await a.release(verdict.reservation);
    }
    expect((await a.monthSpendUsd([tenant], now))[0]).toBeGreaterThanOrEqual(0);
    // No budget beyond the whole of it (the $0.80 given back would have made room for this).
    expect(await b.reserve(request(1.2))).toMatchObject({
      ok: false,
      reason: 'budget-exhausted',
    });
  });
});

describe('RedisLimiter under a burst', () => {
  const run = Math.random().toString(36).slice(2, 10);
  const tenants = ['red', 'green', 'blue'].map(name => `burst-${name}-${run}`);
  const request = (tenant: string): LimitRequest => ({
    tenant,
    limits: { requestsPerMinute: 4, tokensPerMinute: 1_000_000 },
    tenantBudgetUsd: 1,
    tokens: 10,
    costUsd: 0.001,
    nowMs: now,
  });

  afterAll(async () => {
    const redis = await connectTestRedis();
    for (const tenant of tenants) {
      const keys = await redis.keys(`cellport:{${tenant}}:*`);
      if (keys.length > 0) await redis.del(...keys);
    }
    redis.disconnect();
  });

  it("admits exactly each tenant's limit across two replicas, sending one script per tenant and replica", async () => {
    const monitorClient = await connectTestRedis();
    const monitor = await monitorClient.monitor();
    const scripts: string[][] = [];
    let markerSeen = false;
    monitor.on('monitor', (_time: string, args: string[]) => {
      if (args[0] === 'get' && args[1] === `marker-${run}`) markerSeen = true;
      else if (
        /^eval/i.test(args[0]) &&
        args.some(arg => tenants.some(tenant => arg.includes(tenant)))
      )
        scripts.push(args);
    });
    const replicas = [
      new RedisLimiter(TEST_REDIS_URL),
      new RedisLimiter(TEST_REDIS_URL),
    ];
    try {
      // Ten requests per tenant on each replica, interleaved, all in one turn of the loop.
      const verdicts = await Promise.all(
        Array.from({ length: 10 }, () =>
          replicas.flatMap(replica =>
            tenants.map(async tenant => ({
              tenant,
              ok: (await replica.reserve(request(tenant))).ok,
            })),
          ),
        ).flat(),
      );
      for (const tenant of tenants) {
        expect(
          verdicts.filter(verdict => verdict.tenant === tenant && verdict.ok),
        ).toHaveLength(4);
      }
      // Every claim has been answered, so the marker reaches the monitor after all of them.
      const marker = await connectTestRedis();
      await marker.get(`marker-${run}`);
      marker.disconnect();
      await eventually(async () => markerSeen);
      expect(scripts).toHaveLength(tenants.length * replicas.length);
    } finally {
      await Promise.all(replicas.map(replica => replica.close()));
      monitorClient.disconnect();
    }
  });
});

/** A limiter that reaches the tests' Redis through a link the test cuts or pauses. */
async function limiterThroughLink() {
  const target = new URL(TEST_REDIS_URL);
  const link = new CuttableLink({
    host: target.hostname,
    port: Number(target.port || 6379),
  });
  const port = await link.open();
  const throughLink = new RedisLimiter(
    `redis://127.0.0.1:${port}${target.pathname}`,
  );
  return { link, throughLink };
}

describe('RedisLimiter cut off from Redis while settling', () => {
  const tenant = `owed-${Math.random().toString(36).slice(2, 10)}`;
  const request = (costUsd: number) => limitRequest(tenant, costUsd);

  afterEach(async () => {
    const redis = await connectTestRedis();
    const keys = await redis.keys(`cellport:{${tenant}}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  it('charges an overspend whose command timed out on a link that hangs exactly once, whether Redis got the command or not', async () => {
    const { link, throughLink } = await limiterThroughLink();
    /** What the replica reads once it is connected again (after landing what it holds). */
    const spent = async () => {
      let value = NaN;
      await eventually(async () => {
        try {
          value = (await throughLink.monthSpendUsd([tenant], now))[0];
          return true;
        } catch {
          return false;
        }
      });
      return value;
    };
    /** Settles 0.5 on a 0.01 reservation while the link hangs: the command times out. */
    const overspendWhileHung = async () => {
      const small = await throughLink.reserve(request(0.01));
      if (!small.ok) throw new Error('a small reservation must fit');
      link.pause();
      await expect(
        throughLink.settle(small.reservation, { tokens: 5000, costUsd: 0.5 }),
      ).rejects.toThrow(/timed out/);
    };
    try {
      // The hung bytes never reach Redis (the link is cut): the held charge is what counts.
      await overspendWhileHung();
      await link.cut();
      await link.open();
      expect(await spent()).toBeCloseTo(0.5, 9);
      // The hung bytes do reach Redis: the held copy, sent again, is not counted twice.
      await overspendWhileHung();
      link.resume();
      expect(await spent()).toBeCloseTo(1, 9);
    } finally {
      link.resume();
      await throughLink.close();
      await link.cut();
    }
  });

  it('charges an overspend whose command failed once the link is back, exactly once, before it admits anything more', async () => {
    const { link, throughLink } = await limiterThroughLink();
    const direct = new RedisLimiter(TEST_REDIS_URL);
    try {
      const small = await throughLink.reserve(request(0.01));
      if (!small.ok) throw new Error('a small reservation must fit');
      // The upstream ignored max_tokens: 0.5 spent on a 0.01 reservation, and Redis is out of
      // reach as the request settles.
      await link.cut();
      await expect(
        throughLink.settle(small.reservation, { tokens: 5000, costUsd: 0.5 }),
      ).rejects.toThrow();
      await link.open();
      // Nothing else goes through the replica: the held charge lands by itself.
      await eventually(
        async () =>
          Math.abs((await direct.monthSpendUsd([tenant], now))[0] - 0.5) < 1e-9,
      );
      expect(await direct.reserve(request(0.6))).toMatchObject({
        ok: false,
        reason: 'budget-exhausted',
      });
      // Counted once: later claims and reads through the replica do not send it again.
      expect((await throughLink.reserve(request(0.01))).ok).toBe(true);
      expect((await throughLink.monthSpendUsd([tenant], now))[0]).toBeCloseTo(
        0.51,
        9,
      );
    } finally {
      await Promise.all([throughLink.close(), direct.close()]);
      await link.cut();
    }
  });

  it('gives back the unspent part of a reservation settled while Redis was out of reach, once it is back', async () => {
    const { link, throughLink } = await limiterThroughLink();
    const direct = new RedisLimiter(TEST_REDIS_URL);
    try {
      const held = await throughLink.reserve(request(0.4));
      if (!held.ok) throw new Error('the reservation must fit');
      await link.cut();
      // $0.05 of the $0.40 spent; the refund of $0.35 cannot reach Redis yet.
      await throughLink.settle(held.reservation, { tokens: 50, costUsd: 0.05 });
      await new Promise(resolve => setTimeout(resolve, 200));
      await link.open();
      await eventually(
        async () =>
          Math.abs((await direct.monthSpendUsd([tenant], now))[0] - 0.05) <
          1e-9,
      );
      // Given back once: the next refund of the replica does not repeat it.
      const next = await throughLink.reserve(request(0.1));
      if (!next.ok) throw new Error('the reservation must fit');
      await throughLink.settle(next.reservation, { tokens: 10, costUsd: 0.1 });
      await eventually(
        async () =>
          Math.abs((await direct.monthSpendUsd([tenant], now))[0] - 0.15) <
          1e-9,
      );
    } finally {
      await Promise.all([throughLink.close(), direct.close()]);
      await link.cut();
    }
  });
});
