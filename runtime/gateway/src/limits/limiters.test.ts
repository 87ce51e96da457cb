import Redis from 'ioredis';
import { InMemoryLimiter } from './InMemoryLimiter';
import type { Limiter, LimitRequest } from './Limiter';
import { RedisLimiter } from './RedisLimiter';
import { connectTestRedis, TEST_REDIS_URL } from '../__testUtils__/testRedis';

// Real servers, Redis and NATS: generous limits so a loaded CI machine does not fail them.
jest.setTimeout(30_000);

/** The same rules, checked against both implementations with an injected clock. */
describe.each([
  ['in process', () => new InMemoryLimiter()],
  ['Redis', () => new RedisLimiter(TEST_REDIS_URL)],
])('%s limiter', (name, create: () => Limiter) => {
  let limiter: Limiter;
  const tenant = `limiter-test-${Math.random().toString(36).slice(2, 10)}`;
  const start = Date.parse('2026-11-23T10:00:00Z');
  const request = (overrides: Partial<LimitRequest> = {}): LimitRequest => ({
    tenant,
    limits: { requestsPerMinute: 3, tokensPerMinute: 1000 },
    tenantBudgetUsd: 1,
    tokens: 100,
    costUsd: 0.1,
    nowMs: start,
    ...overrides,
  });

  beforeAll(async () => {
    if (name !== 'Redis') return;
    (await connectTestRedis()).disconnect();
  });
  beforeEach(() => {
    limiter = create();
  });
  afterEach(async () => {
    const redis = new Redis(TEST_REDIS_URL);
    const keys = await redis.keys(`cellport:{${tenant}}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
    await limiter.close();
  });

  it('counts requests per fixed minute window and resets in the next', async () => {
    for (let i = 0; i < 3; i++)
      expect((await limiter.reserve(request())).ok).toBe(true);
    const refused = await limiter.reserve(request({ nowMs: start + 30_000 }));
    expect(refused).toMatchObject({
      ok: false,
      reason: 'rate-limited',
      retryAfterSeconds: 30,
    });
    expect((await limiter.reserve(request({ nowMs: start + 60_000 }))).ok).toBe(
      true,
    );
  });

  it('checks each request by its own limits, even beside requests of the same moment on the same counters', async () => {
    // Concurrent requests of a tenant reach Redis in one command; a state push between two of
    // them changes a limit the others were checked by.
    const perMinute = (requestsPerMinute: number) =>
      request({ limits: { requestsPerMinute, tokensPerMinute: 1000 } });
    const verdicts = await Promise.all([
      limiter.reserve(perMinute(10)),
      limiter.reserve(perMinute(1)),
      limiter.reserve(perMinute(10)),
    ]);
    expect(verdicts.map(verdict => verdict.ok)).toEqual([true, false, true]);
  });

  it('counts tokens per minute, corrected by settlement', async () => {
    const first = await limiter.reserve(request({ tokens: 900 }));
    expect(first.ok).toBe(true);
    expect((await limiter.reserve(request({ tokens: 200 }))).ok).toBe(false);
    // The request used far fewer tokens than reserved: the rest comes back.
    if (first.ok)
      await limiter.settle(first.reservation, { tokens: 300, costUsd: 0.01 });
    expect((await limiter.reserve(request({ tokens: 200 }))).ok).toBe(true);
  });

  it('reserves the budget, settles the actual cost and releases on failure', async () => {
    const limits = { requestsPerMinute: 100, tokensPerMinute: 1_000_000 };
    const a = await limiter.reserve(request({ limits, costUsd: 0.6 }));
    expect(a.ok).toBe(true);
    const b = await limiter.reserve(request({ limits, costUsd: 0.6 }));
    // $0.40 is left, and this replica's request in flight holds the rest: the message says
    // the request may cost more, not that nothing is left, and the caller may try again once
    // the request in flight settles, not next month.
    expect(b).toMatchObject({
      ok: false,
      reason: 'budget-exhausted',
      retryAfterSeconds: 60,
      message: `tenant ${tenant}'s monthly budget of $1 has less left than this request may cost ($0.600): $0.400, requests in flight holding what they may cost until they settle`,
    });
    expect(limiter.holdsReservations(tenant, start)).toBe(true);
    // One that would not fit even once the request in flight settles: next month.
    expect(
      await limiter.reserve(request({ limits, costUsd: 1.5 })),
    ).toMatchObject({
      ok: false,
      retryAfterSeconds: 8 * 86_400 - 10 * 3600,
      message: expect.not.stringContaining('in flight'),
    });
    if (a.ok) await limiter.release(a.reservation);
    const c = await limiter.reserve(request({ limits, costUsd: 0.6 }));
    expect(c.ok).toBe(true);
    if (c.ok)
      await limiter.settle(c.reservation, { tokens: 10, costUsd: 0.25 });
    expect(limiter.spentUsdHint(tenant, start)).toBeCloseTo(0.25, 9);
    expect(limiter.holdsReservations(tenant, start)).toBe(false);
    // A little left and nothing in flight (a budget is rarely spent to the cent): spent, for
    // this request, until December; and spent to the cent, for any.
    const most = await limiter.reserve(request({ limits, costUsd: 0.7 }));
    expect(most.ok).toBe(true);
    if (most.ok)
      await limiter.settle(most.reservation, { tokens: 1, costUsd: 0.7 });
    const nextMonth = 8 * 86_400 - 10 * 3600;
    expect(await limiter.reserve(request({ limits, costUsd: 0.1 }))).toEqual({
      ok: false,
      reason: 'budget-exhausted',
      retryAfterSeconds: nextMonth,
      message: `tenant ${tenant}'s monthly budget of $1 has less left than this request may cost ($0.100): $0.0500`,
      // What it had left, for routing the request again to what it covers.
      budgetLeft: { usd: expect.closeTo(0.05, 9), heldInFlight: false },
    });
    const rest = await limiter.reserve(request({ limits, costUsd: 0.05 }));
    expect(rest.ok).toBe(true);
    if (rest.ok)
      await limiter.settle(rest.reservation, { tokens: 1, costUsd: 0.05 });
    expect(
      await limiter.reserve(request({ limits, costUsd: 0.01 })),
    ).toMatchObject({
      retryAfterSeconds: nextMonth,
      message: `tenant ${tenant}'s monthly budget of $1 is exhausted`,
    });
    // Spend belongs to its month: December starts with the full budget.
    const december = Date.parse('2026-12-01T00:00:00Z');
    expect(
      (
        await limiter.reserve(
          request({ limits, costUsd: 0.9, nowMs: december }),
        )
      ).ok,
    ).toBe(true);
  });

  it('holds an agent to its own budget', async () => {
    const limits = { requestsPerMinute: 100, tokensPerMinute: 1_000_000 };
    const agent = { agent: 'helper', agentBudgetUsd: 0.15, limits };
    expect(
      (await limiter.reserve(request({ ...agent, costUsd: 0.1 }))).ok,
    ).toBe(true);
    expect(
      await limiter.reserve(request({ ...agent, costUsd: 0.1 })),
    ).toMatchObject({
      ok: false,
      reason: 'budget-exhausted',
      message: expect.stringContaining('agent helper'),
    });
    expect((await limiter.reserve(request({ limits, costUsd: 0.1 }))).ok).toBe(
      true,
    );
  });

  describe("an agent's own rate limits", () => {
    const limits = { requestsPerMinute: 100, tokensPerMinute: 1_000_000 };
    const agentLimits = { requestsPerMinute: 2, tokensPerMinute: 500 };
    const agent = { agent: 'helper', agentLimits, limits };

    it('holds the agent to its RPM inside a tenant with room, and resets next minute', async () => {
      for (let i = 0; i < 2; i++)
        expect((await limiter.reserve(request({ ...agent }))).ok).toBe(true);
      expect(
        await limiter.reserve(request({ ...agent, nowMs: start + 45_000 })),
      ).toEqual({
        ok: false,
        reason: 'rate-limited',
        retryAfterSeconds: 15,
        message: "agent helper's RPM limit is exhausted: 2 requests per minute",
      });
      // The tenant, and another agent of it, still have room.
      expect((await limiter.reserve(request({ limits }))).ok).toBe(true);
      expect(
        (await limiter.reserve(request({ ...agent, agent: 'other' }))).ok,
      ).toBe(true);
      expect(
        (await limiter.reserve(request({ ...agent, nowMs: start + 60_000 })))
          .ok,
      ).toBe(true);
    });

    it('holds the agent to its TPM, corrected once by settlement', async () => {
      const first = await limiter.reserve(request({ ...agent, tokens: 400 }));
      expect(first.ok).toBe(true);
      expect(
        await limiter.reserve(request({ ...agent, tokens: 200 })),
      ).toMatchObject({
        ok: false,
        reason: 'rate-limited',
        message: "agent helper's TPM limit is exhausted: 500 tokens per minute",
      });
      // 150 tokens were used: the agent's window (and the tenant's) hold 150, not 400 or 550.
      if (first.ok)
        await limiter.settle(first.reservation, { tokens: 150, costUsd: 0.01 });
      expect(
        (await limiter.reserve(request({ ...agent, tokens: 350 }))).ok,
      ).toBe(true);
      expect((await limiter.reserve(request({ ...agent, tokens: 1 }))).ok).toBe(
        false,
      );
    });

    it('refuses without counting anything when only the agent is over', async () => {
      const tight = { requestsPerMinute: 1, tokensPerMinute: 1_000_000 };
      const lean = { ...agent, agentLimits: tight, costUsd: 0.25 };
      expect((await limiter.reserve(request(lean))).ok).toBe(true);
      expect((await limiter.reserve(request(lean))).ok).toBe(false);
      expect((await limiter.reserve(request(lean))).ok).toBe(false);
      // The refused requests reserved no budget: $0.25 of $1 is spent, so $0.75 more fits.
      expect(
        (await limiter.reserve(request({ limits, costUsd: 0.75 }))).ok,
      ).toBe(true);
    });

    it('lets the first request of a window through the agent TPM whatever its size', async () => {
      expect(
        (await limiter.reserve(request({ ...agent, tokens: 5_000 }))).ok,
      ).toBe(true);
      expect((await limiter.reserve(request({ ...agent, tokens: 1 }))).ok).toBe(
        false,
      );
    });

    it('applies no agent limits to a request without an agent', async () => {
      for (let i = 0; i < 5; i++)
        expect(
          (await limiter.reserve(request({ limits, agentLimits }))).ok,
        ).toBe(true);
    });
  });
});
