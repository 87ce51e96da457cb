import Redis from 'ioredis';
import OpenAI from 'openai';
import type { SimulatorServer } from '@cellport/simulator';
import type {
  RoutingDecision,
  UsageEvent,
} from '@cellport/plugin-platform-common';
import {
  clockFromMinuteStart,
  eventually,
  KEYS,
  postChat,
  startGateway,
  startSimulator,
  testProfile,
  testState,
} from '../__testUtils__/fixtures';
import type { Gateway } from '../createGateway';
import { InMemoryLimiter } from './InMemoryLimiter';
import { RedisLimiter } from './RedisLimiter';
import { maxRequestCostUsd } from '../usage/cost';
import { promptTokenBound } from './promptTokenBound';
import { connectTestRedis, TEST_REDIS_URL } from '../__testUtils__/testRedis';

// Real servers, Redis and NATS: generous limits so a loaded CI machine does not fail them.
jest.setTimeout(30_000);

/** Deletes only this suite's counters: other suites and services may share the Redis. */
async function clearTenant(redis: Redis, tenant: string): Promise<void> {
  const keys = await redis.keys(`cellport:{${tenant}}:*`);
  if (keys.length > 0) await redis.del(...keys);
}

/** Brightpath with a budget that fits a few dozen of the requests below. */
function budgetState(
  simulatorUrl: string,
  tenantBudgetUsd: number,
  rpm = 100_000,
) {
  const state = testState(
    simulatorUrl,
    `budget-${Math.random().toString(36).slice(2, 10)}`,
  );
  state.tenants[1].monthlyBudgetUsd = tenantBudgetUsd;
  state.tenants[1].limits.requestsPerMinute = rpm;
  // A unique tenant id per run keeps Redis counters of earlier runs out of the way.
  return state;
}

const askBody = {
  model: 'gpt-4o-mini',
  messages: [{ role: 'user' as const, content: 'budget test prompt' }],
  max_tokens: 100,
};
const ask = (client: OpenAI) => client.chat.completions.create(askBody);
/** The OpenAI SDK on a gateway, retrying nothing: every refusal reaches the test. */
const clientOf = (url: string, apiKey = KEYS.brightpath) =>
  new OpenAI({ apiKey, baseURL: `${url}/v1`, maxRetries: 0 });

describe('budgets and rate limits', () => {
  let simulator: SimulatorServer;
  beforeAll(async () => {
    simulator = await startSimulator();
  });
  afterAll(() => simulator.stop());

  function maxCost(): number {
    const profile = testState(simulator.url).modelProfiles.find(
      p => p.id === 'us-small',
    )!;
    // A request reserves its body's bytes (as the OpenAI client sends it) as prompt tokens.
    return maxRequestCostUsd(
      profile,
      promptTokenBound(Buffer.from(JSON.stringify(askBody))),
      100,
    );
  }

  it('charges a request that straddles the turn of the month to the month its events are stamped with', async () => {
    // Every read of the clock moves it on a millisecond: the request starts in November and
    // is routed and reserved in December.
    let clock = Date.parse('2026-11-30T23:59:59.998Z');
    const { gateway, url, events } = await startGateway(simulator.url, {
      state: budgetState(simulator.url, 50),
      overrides: { limiter: new InMemoryLimiter(), now: () => clock++ },
    });
    try {
      const response = await postChat(url, askBody, { key: KEYS.brightpath });
      expect(response.status).toBe(200);
      const [usage] = events.usage() as UsageEvent[];
      expect(usage.timestamp.startsWith('2026-11-30')).toBe(true);
      const tenant = usage.tenant;
      const [november] = await gateway.deps.limiter.monthSpendUsd(
        [tenant],
        Date.parse('2026-11-15T00:00:00Z'),
      );
      const [december] = await gateway.deps.limiter.monthSpendUsd(
        [tenant],
        Date.parse('2026-12-15T00:00:00Z'),
      );
      expect(november).toBeCloseTo(usage.costUsd, 12);
      expect(december).toBe(0);
    } finally {
      await gateway.stop();
    }
  });

  it('gives 429 with Retry-After once requests per minute are used up', async () => {
    // A minute that began mid-test would serve the fourth request.
    const { gateway, url } = await startGateway(simulator.url, {
      state: budgetState(simulator.url, 50, 3),
      overrides: { now: clockFromMinuteStart() },
    });
    try {
      const client = clientOf(url);
      for (let i = 0; i < 3; i++) await ask(client);
      const error = await ask(client).catch(e => e);
      expect(error).toBeInstanceOf(OpenAI.RateLimitError);
      expect(error.error.code).toBe('rate_limit_exceeded');
      expect(Number(error.headers.get('retry-after'))).toBeGreaterThan(0);
    } finally {
      await gateway.stop();
    }
  });

  it('holds the budget under 200 concurrent requests (in process)', async () => {
    const budget = maxCost() * 40.5;
    const limiter = new InMemoryLimiter();
    // A month that began mid-test would give a second budget.
    const now = clockFromMinuteStart();
    const { gateway, url, events } = await startGateway(simulator.url, {
      state: budgetState(simulator.url, budget),
      overrides: { limiter, now },
    });
    try {
      const client = clientOf(url);
      const results = await Promise.allSettled(
        Array.from({ length: 200 }, () => ask(client)),
      );
      const ok = results.filter(r => r.status === 'fulfilled').length;
      const rejected = results.filter(
        r =>
          r.status === 'rejected' &&
          (r.reason as { status?: number }).status === 429,
      ).length;
      expect(ok + rejected).toBe(200);
      expect(ok).toBeGreaterThanOrEqual(40);
      const spent = events
        .usage()
        .reduce((sum, event) => sum + (event as UsageEvent).costUsd, 0);
      expect(spent).toBeLessThanOrEqual(budget + maxCost());
      // Settled spend in the limiter matches the events (reservations were settled, not kept).
      await new Promise(resolve => setImmediate(resolve));
      expect(limiter.spentUsd('brightpath', now())).toBeCloseTo(spent, 6);
    } finally {
      await gateway.stop();
    }
  });

  it('shares one Redis budget across two gateway replicas under 200 concurrent requests', async () => {
    const redis = await connectTestRedis();
    await clearTenant(redis, 'brightpath');
    const budget = maxCost() * 40.5;
    const state = budgetState(simulator.url, budget);
    // A month that began mid-test would give a second budget.
    const now = clockFromMinuteStart();
    const replicas = await Promise.all(
      [0, 1].map(() =>
        startGateway(simulator.url, {
          state,
          overrides: { limiter: new RedisLimiter(TEST_REDIS_URL), now },
        }),
      ),
    );
    try {
      const clients = replicas.map(({ url }) => clientOf(url));
      const results = await Promise.allSettled(
        Array.from({ length: 200 }, (_, i) => ask(clients[i % 2])),
      );
      const ok = results.filter(r => r.status === 'fulfilled').length;
      const perReplica = replicas.map(
        ({ events }) =>
          events.usage().filter(e => (e as UsageEvent).outcome === 'success')
            .length,
      );
      expect(ok).toBeGreaterThanOrEqual(40);
      expect(perReplica[0]).toBeGreaterThan(0);
      expect(perReplica[1]).toBeGreaterThan(0);
      const spent = replicas
        .flatMap(({ events }) => events.usage())
        .reduce((sum, event) => sum + (event as UsageEvent).costUsd, 0);
      expect(spent).toBeLessThanOrEqual(budget + maxCost());
      // Every settle landed: Redis holds exactly what the requests cost.
      const limiter = replicas[0].gateway.deps.limiter as RedisLimiter;
      let stored = 0;
      for (let i = 0; i < 50; i++) {
        stored = await limiter.spentUsd('brightpath', now());
        if (Math.abs(stored - spent) < 1e-6) break;
        await new Promise(resolve => setTimeout(resolve, 20));
      }
      expect(stored).toBeCloseTo(spent, 6);
      const error = await ask(clients[0]).catch(e => e);
      expect(error.status).toBe(429);
      expect(error.error.code).toBe('budget_exhausted');
      expect(Number(error.headers.get('retry-after'))).toBeGreaterThan(0);
    } finally {
      await Promise.all(
        replicas.map(({ gateway }: { gateway: Gateway }) => gateway.stop()),
      );
      await clearTenant(redis, 'brightpath');
      redis.disconnect();
    }
  });

  it('tells a caller the budget refused while its requests in flight hold part of it to try again in a minute, and next month once they have settled', async () => {
    // In a month's last minute, Retry-After would be the seconds left of it.
    const { gateway, url } = await startGateway(simulator.url, {
      state: budgetState(simulator.url, maxCost() * 1.5),
      overrides: {
        limiter: new InMemoryLimiter(),
        now: clockFromMinuteStart(),
      },
    });
    simulator.faults.add({
      mode: 'slow',
      model: 'us-small-model',
      extraLatencyMs: 1_500,
      retryAfterSeconds: 1,
    });
    try {
      const client = clientOf(url);
      // The first request holds what it may cost for a second and a half...
      const asked = simulator.stats.snapshot().requests;
      const first = ask(client);
      // Held once it reached the upstream, not after a time a loaded machine may outlast.
      await eventually(() => simulator.stats.snapshot().requests > asked);
      // ...so the second does not fit, until the first settles.
      const held = await ask(client).catch(e => e);
      expect(held.status).toBe(429);
      expect(held.error.code).toBe('budget_exhausted');
      expect(held.error.message).toMatch(/requests in flight hold/);
      expect(held.headers.get('retry-after')).toBe('60');
      await first;
      simulator.faults.clear();
      // Settled at a fraction of its reservation: the retry fits.
      await ask(client);
      // Each settles far below its bound: asked on, one at a time, until what is left is less
      // than a request may cost, with nothing in flight.
      let spent: any;
      for (let i = 0; i < 500 && !spent; i++) {
        spent = await ask(client).then(
          () => undefined,
          e => e,
        );
      }
      expect(spent.status).toBe(429);
      expect(spent.error.message).not.toContain('requests in flight');
      expect(Number(spent.headers.get('retry-after'))).toBeGreaterThan(60);
    } finally {
      simulator.faults.clear();
      await gateway.stop();
    }
  });

  it("serves a request the budget covers although another replica's reservation, since refunded, once made it look spent", async () => {
    const redis = await connectTestRedis();
    await clearTenant(redis, 'brightpath');
    const budget = maxCost() * 3;
    const clock = { ms: Date.now() };
    const other = new RedisLimiter(TEST_REDIS_URL);
    const { gateway, url } = await startGateway(simulator.url, {
      state: budgetState(simulator.url, budget),
      overrides: {
        limiter: new RedisLimiter(TEST_REDIS_URL),
        now: () => clock.ms,
      },
    });
    try {
      const client = clientOf(url);
      // The other replica holds most of the budget for a request in flight...
      const held = await other.reserve({
        tenant: 'brightpath',
        limits: { requestsPerMinute: 100_000, tokensPerMinute: 100_000_000 },
        tenantBudgetUsd: budget,
        tokens: 1,
        costUsd: budget * 0.9,
        nowMs: clock.ms,
      });
      if (!held.ok) throw new Error('the other replica could not reserve');
      // ...so this one is refused, rightly, and remembers the spend it saw.
      const refused = await ask(client).catch(e => e);
      expect(refused.status).toBe(429);
      expect(refused.error.code).toBe('budget_exhausted');
      expect(refused.error.message).toContain(
        'has less left than this request may cost',
      );
      // The request in flight failed: its reservation is released (a read sends the refund).
      await other.release(held.reservation);
      expect(await other.spentUsd('brightpath', clock.ms)).toBe(0);
      // Fresh, the remembered spend still refuses on its own: a spent tenant's retries are
      // refused here, not sent to the counters each time...
      expect((await ask(client).catch(e => e)).status).toBe(429);
      // ...but a second later the counters decide, and the budget is untouched: served.
      clock.ms += 1_500;
      const answer = await ask(client);
      expect(answer.choices[0].message.content).toBeTruthy();
    } finally {
      await gateway.stop();
      await other.close();
      await clearTenant(redis, 'brightpath');
      redis.disconnect();
    }
  });

  it('lets the counters decide when a stale hint drops the one open route, though the refusal names the circuits open elsewhere', async () => {
    const redis = await connectTestRedis();
    await clearTenant(redis, 'brightpath');
    const auto = { ...askBody, model: 'auto' };
    const profiles = testState(simulator.url).modelProfiles;
    const costAt = (id: string) =>
      maxRequestCostUsd(
        profiles.find(p => p.id === id)!,
        promptTokenBound(Buffer.from(JSON.stringify(auto))),
        100,
      );
    const large = costAt('us-large');
    expect(costAt('claude')).toBeLessThan(large / 2);
    const budget = 2 * large;
    const clock = { ms: Date.now() };
    const other = new RedisLimiter(TEST_REDIS_URL);
    const { gateway, url } = await startGateway(simulator.url, {
      state: budgetState(simulator.url, budget),
      overrides: {
        limiter: new RedisLimiter(TEST_REDIS_URL),
        now: () => clock.ms,
        breaker: { failureThreshold: 1, openMs: 60_000 },
      },
    });
    try {
      const client = clientOf(url);
      // Another replica holds all but half of the cheapest route's cost: this one is refused
      // (no route fits what is left) and remembers that spend.
      const cheapest = Math.min(costAt('us-small'), costAt('claude'));
      const held = await other.reserve({
        tenant: 'brightpath',
        limits: { requestsPerMinute: 100_000, tokensPerMinute: 100_000_000 },
        tenantBudgetUsd: budget,
        tokens: 1,
        costUsd: budget - cheapest / 2,
        nowMs: clock.ms,
      });
      if (!held.ok) throw new Error('the other replica could not reserve');
      const refused = await client.chat.completions.create(auto).catch(e => e);
      expect(refused.status).toBe(429);
      await other.release(held.reservation);
      expect(await other.spentUsd('brightpath', clock.ms)).toBe(0);
      // The cheaper routes fail meanwhile: their circuits open.
      gateway.deps.health.get('us-small').breaker.onFailure();
      gateway.deps.health.get('claude').breaker.onFailure();
      clock.ms += 1_500;
      // The stale hint drops us-large for budget; the others are dropped for their circuits,
      // which rank after the budget. The budget is untouched: us-large serves it.
      const answer = await client.chat.completions.create(auto);
      expect(answer.model).toBe('us-large-model');
    } finally {
      await gateway.stop();
      await other.close();
      await clearTenant(redis, 'brightpath');
      redis.disconnect();
    }
  });

  it("enforces an agent's own monthly budget inside its tenant's", async () => {
    const state = testState(simulator.url, 'agent-budget');
    // A request reserves up to ~$0.001 (eu-large, 100 output tokens) and settles for less.
    state.agents[0].monthlyBudgetUsd = 0.0025;
    const { gateway, url } = await startGateway(simulator.url, { state });
    try {
      const agent = clientOf(url, KEYS.northwindAgent);
      const tenant = clientOf(url, KEYS.northwind);
      const request = {
        model: 'gpt-4o',
        messages: [{ role: 'user' as const, content: 'agent budget' }],
        max_tokens: 100,
      };
      let served = 0;
      let error;
      for (let i = 0; i < 30 && !error; i++) {
        try {
          await agent.chat.completions.create(request);
          served += 1;
        } catch (e) {
          error = e as InstanceType<typeof OpenAI.APIError>;
        }
      }
      expect(served).toBeGreaterThanOrEqual(2);
      expect(error?.status).toBe(429);
      expect(error?.code).toBe('budget_exhausted');
      expect(error?.message).toMatch(/agent nw-assistant/);
      // The tenant's own key is not held by its agent's budget.
      await expect(
        tenant.chat.completions.create(request),
      ).resolves.toBeDefined();
    } finally {
      await gateway.stop();
    }
  });

  describe('a fallback dearer than the budget left', () => {
    /** Northwind with `eu-dear` ($10,000 a million tokens) as gpt-4o and its agent's fallback. */
    function dearFallbackState(budgets: { tenant?: number; agent?: number }) {
      const state = testState(simulator.url, 'dear-fallback');
      state.modelProfiles.push(
        testProfile(simulator.url, {
          id: 'eu-dear',
          alias: 'gpt-4o',
          region: 'eu-west-1',
          qualityTier: 'frontier',
          inputPerMillionUsd: 10_000,
          outputPerMillionUsd: 10_000,
        }),
      );
      state.tenants[0].allowedModels.push('eu-dear');
      state.tenants[0].monthlyBudgetUsd = budgets.tenant ?? 100;
      state.agents[0].fallbackChain = ['eu-dear'];
      state.agents[0].monthlyBudgetUsd = budgets.agent;
      return state;
    }
    const request = {
      model: 'gpt-4o',
      messages: [{ role: 'user' as const, content: 'dear fallback' }],
      max_tokens: 100,
    };

    it.each([
      ["its agent's budget", { agent: 0.05 }, KEYS.northwindAgent],
      [
        "its tenant's, not yet read by this replica",
        { tenant: 0.05 },
        KEYS.northwind,
      ],
    ])(
      'serves from the profiles the budget still covers (%s), the dear one dropped for it',
      async (_whose, budgets, key) => {
        // eu-large may cost ~$0.0013 a request, eu-dear ~$2.4: over $0.05, the dear one
        // alone must not cost the request its route (it was 429 until next month).
        const { gateway, url, events } = await startGateway(simulator.url, {
          state: dearFallbackState(budgets),
        });
        try {
          for (let i = 0; i < 3; i++) {
            const answer = await clientOf(url, key).chat.completions.create(
              request,
            );
            expect(answer.choices.length).toBe(1);
          }
          const decisions = events.decisions() as RoutingDecision[];
          expect(decisions.map(d => d.chosen)).toEqual(
            Array(3).fill('eu-large'),
          );
          for (const decision of decisions) {
            expect(
              decision.candidates.find(c => c.modelProfile === 'eu-dear'),
            ).toMatchObject({ kept: false, dropReason: 'budget' });
          }
          const usages = events.usage() as UsageEvent[];
          expect(usages.reduce((sum, u) => sum + u.costUsd, 0)).toBeLessThan(
            0.05,
          );
        } finally {
          await gateway.stop();
        }
      },
    );

    it('answers the open circuit of the route the budget covers, not the budget', async () => {
      // A 429 with Retry-After of next month, for a budget that covers eu-large, would send the
      // agent away for weeks over a circuit that lets calls through in seconds.
      const { gateway, url } = await startGateway(simulator.url, {
        state: dearFallbackState({ agent: 0.05 }),
      });
      try {
        const breaker = gateway.deps.health.get('eu-large').breaker;
        for (let i = 0; i < 5; i++) breaker.onFailure();
        const refused = await postChat(url, request, {
          key: KEYS.northwindAgent,
        });
        expect(refused.status).toBe(503);
        expect((await refused.json()).error.code).toBe('upstream_unavailable');
        expect(Number(refused.headers.get('retry-after'))).toBeLessThanOrEqual(
          10,
        );
      } finally {
        await gateway.stop();
      }
    });

    it('still refuses, naming whose budget, when it covers none of them', async () => {
      const { gateway, url, events } = await startGateway(simulator.url, {
        state: dearFallbackState({ agent: 0.000001 }),
      });
      try {
        const refused = await clientOf(url, KEYS.northwindAgent)
          .chat.completions.create(request)
          .catch(error => error as InstanceType<typeof OpenAI.APIError>);
        expect(refused).toMatchObject({
          status: 429,
          code: 'budget_exhausted',
        });
        expect((refused as Error).message).toMatch(/agent nw-assistant/);
        const [decision] = events.decisions() as RoutingDecision[];
        expect(decision.chosen).toBeUndefined();
        expect(
          decision.candidates
            .filter(c => c.dropReason === 'budget')
            .map(c => c.modelProfile)
            .sort(),
        ).toEqual(['eu-dear', 'eu-large']);
      } finally {
        await gateway.stop();
      }
    });
  });

  it('serves again at once when a state push raises an exhausted budget', async () => {
    const tight = budgetState(simulator.url, maxCost() * 1.5);
    const { gateway, url } = await startGateway(simulator.url, {
      state: tight,
    });
    try {
      const client = clientOf(url);
      let refused;
      for (let i = 0; i < 20 && !refused; i++) {
        refused = await ask(client).then(
          () => undefined,
          e => e,
        );
      }
      expect(refused?.status).toBe(429);
      gateway.deps.state.apply({
        ...tight,
        version: 'raised',
        tenants: tight.tenants.map(t =>
          t.id === 'brightpath' ? { ...t, monthlyBudgetUsd: 50 } : t,
        ),
      });
      await expect(ask(client)).resolves.toBeDefined();
    } finally {
      await gateway.stop();
    }
  });

  it('refuses with 503, not a 500, while the shared counters are unreachable', async () => {
    // Nothing listens on port 1: the limiter cannot check or reserve, so budgets fail closed.
    const errors: string[] = [];
    const limiter = new RedisLimiter('redis://127.0.0.1:1', error =>
      errors.push(error.message),
    );
    const { gateway, url } = await startGateway(simulator.url, {
      overrides: { limiter },
    });
    simulator.stats.reset();
    try {
      const client = clientOf(url);
      const error = await ask(client).catch(e => e);
      expect(error.status).toBe(503);
      expect(error.error.code).toBe('limits_unavailable');
      expect(simulator.stats.snapshot().requests).toBe(0);
      expect(errors[0]).toMatch(/ECONNREFUSED/);
      // No budget figure rather than an old one; the other metrics still answer.
      const metrics = await fetch(`${url}/metrics`);
      expect(metrics.status).toBe(200);
      const text = await metrics.text();
      expect(text).toContain('cellport_gateway_requests_total');
      expect(text).not.toMatch(/cellport_gateway_budget_remaining_usd\{/);
    } finally {
      await gateway.stop();
    }
  });

  it('reserves a prompt image at what the profile bills for one, above the default allowance', async () => {
    // gpt-4o-mini bills a high-detail image at up to 48,169 tokens; $0.005 covers the request
    // with images at the default 3,000 tokens ($0.0005) but not at that count ($0.0073).
    const state = budgetState(simulator.url, 0.005);
    const mini = state.modelProfiles.find(p => p.id === 'us-small')!;
    mini.features = ['vision'];
    mini.imageTokens = 48_169;
    const { gateway, url } = await startGateway(simulator.url, { state });
    try {
      const client = clientOf(url);
      const withImage = {
        ...askBody,
        messages: [
          {
            role: 'user' as const,
            content: [
              { type: 'text' as const, text: 'what is in it?' },
              {
                type: 'image_url' as const,
                image_url: {
                  url: 'https://x.test/a.png',
                  detail: 'high' as const,
                },
              },
            ],
          },
        ],
      };
      await expect(
        client.chat.completions.create(withImage),
      ).rejects.toMatchObject({ status: 429, code: 'budget_exhausted' });
      // The same budget takes the request without the image.
      expect((await ask(client)).choices).toHaveLength(1);
    } finally {
      await gateway.stop();
    }
  });

  it('releases the reservation of a failed request', async () => {
    const limiter = new InMemoryLimiter();
    const { gateway, url } = await startGateway(simulator.url, {
      overrides: { limiter },
    });
    simulator.faults.add({
      mode: 'error',
      extraLatencyMs: 0,
      retryAfterSeconds: 1,
    });
    try {
      const client = clientOf(url);
      await expect(ask(client)).rejects.toMatchObject({ status: 502 });
      await new Promise(resolve => setImmediate(resolve));
      expect(limiter.spentUsd('brightpath', Date.now())).toBe(0);
    } finally {
      simulator.faults.clear();
      await gateway.stop();
    }
  });
});
