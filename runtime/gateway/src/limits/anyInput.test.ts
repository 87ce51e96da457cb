import { secondsToNextMonth } from '@cellport/router';
import Redis from 'ioredis';
import OpenAI from 'openai';
import type { SimulatorServer } from '@cellport/simulator';
import type {
  GatewayDesiredState,
  GatewayTenant,
  UsageEvent,
} from '@cellport/plugin-platform-common';
import {
  clockFromMinuteStart,
  eventually,
  KEYS,
  RecordingEventSink,
  startGateway,
  startSimulator,
  testState,
} from '../__testUtils__/fixtures';
import type { Gateway } from '../createGateway';
import { InMemoryLimiter } from './InMemoryLimiter';
import type { Limiter } from './Limiter';
import { RedisLimiter } from './RedisLimiter';
import { TEST_REDIS_URL } from '../__testUtils__/testRedis';

// Real servers and Redis: generous limits so a loaded CI machine does not fail them.
jest.setTimeout(30_000);

/** Brightpath's `gpt-4o` is us-large: $2.50 / $10 per million input / output tokens. */
const UPSTREAM_MODEL = 'us-large-model';
const PRICE = { input: 2.5e-6, output: 10e-6 };

/**
 * Prompts of about 2 KB of UTF-8 that tokenizers make several times their characters / 4 of.
 * The simulator counts them as a byte-level tokenizer at its worst: a token per byte.
 */
const PROMPTS = [
  '預算必須對任何輸入都成立，無論是哪種文字。'.repeat(33),
  'يجب أن تصمد الميزانية لأي مدخل '.repeat(36),
  '🧨💸👩‍👩‍👧‍👦🫠'.repeat(50),
  '\u0000\u0001\u0007\u001b\u007f'.repeat(400),
];
const MAX_TOKENS = 16;

const utf8 = (text: string) => Buffer.byteLength(text, 'utf8');

/** The most a request with this prompt can be charged by the simulator: bytes + 3, and its output. */
function worstCostUsd(prompt: string): number {
  return (utf8(prompt) + 3) * PRICE.input + MAX_TOKENS * PRICE.output;
}
const worstTokens = (prompt: string) => utf8(prompt) + 3 + MAX_TOKENS;

const ONE_REQUEST_USD = Math.max(...PROMPTS.map(worstCostUsd));
const ONE_REQUEST_TOKENS = Math.max(...PROMPTS.map(worstTokens));

/** The test state with Brightpath renamed to a tenant of its own, so runs never share counters. */
function stateFor(
  simulatorUrl: string,
  tenant: string,
  fields: Partial<GatewayTenant>,
): GatewayDesiredState {
  const state = testState(simulatorUrl, `any-input-${tenant}`);
  state.tenants = state.tenants.map(t =>
    t.id === 'brightpath' ? { ...t, ...fields, id: tenant } : t,
  );
  state.apiKeys = state.apiKeys.map(k =>
    k.tenant === 'brightpath' ? { ...k, tenant } : k,
  );
  return state;
}

interface Store {
  name: string;
  replicas: number;
  limiter(): Limiter;
}

const STORES: Store[] = [
  {
    name: 'one replica, counters in process',
    replicas: 1,
    limiter: () => new InMemoryLimiter(),
  },
  {
    name: 'two replicas sharing Redis',
    replicas: 2,
    limiter: () => new RedisLimiter(TEST_REDIS_URL),
  },
];

interface Cluster {
  gateways: Gateway[];
  urls: string[];
  events: RecordingEventSink[];
  /** A client of the tenant's key, on replica `i` (round robin). */
  client(i: number): OpenAI;
  usage(): UsageEvent[];
  stop(): Promise<void>;
}

describe.each(STORES)('budgets hold for any input ($name)', store => {
  let simulator: SimulatorServer;
  beforeAll(async () => {
    simulator = await startSimulator();
    simulator.catalog.update(UPSTREAM_MODEL, { promptTokens: 'utf8-bytes' });
  });

  /** A slow upstream keeps every request of a burst in flight at once: all reserve before any settles. */
  async function inFlightTogether<T>(burst: () => Promise<T>): Promise<T> {
    simulator.catalog.update(UPSTREAM_MODEL, { ttftMs: 300 });
    try {
      return await burst();
    } finally {
      simulator.catalog.update(UPSTREAM_MODEL, { ttftMs: 0 });
    }
  }
  afterAll(() => simulator.stop());

  const tenants: string[] = [];
  function newTenant(): string {
    const tenant = `bp-${Math.random().toString(36).slice(2, 10)}`;
    tenants.push(tenant);
    return tenant;
  }

  async function startCluster(
    state: GatewayDesiredState,
    now?: () => number,
  ): Promise<Cluster> {
    const started = await Promise.all(
      Array.from({ length: store.replicas }, () =>
        startGateway(simulator.url, {
          state,
          overrides: { limiter: store.limiter(), ...(now ? { now } : {}) },
        }),
      ),
    );
    const clients = started.map(
      ({ url }) =>
        new OpenAI({
          apiKey: KEYS.brightpath,
          baseURL: `${url}/v1`,
          maxRetries: 0,
        }),
    );
    return {
      gateways: started.map(s => s.gateway),
      urls: started.map(s => s.url),
      events: started.map(s => s.events),
      client: i => clients[i % clients.length],
      usage: () => started.flatMap(s => s.events.usage() as UsageEvent[]),
      stop: async () => {
        await Promise.all(started.map(s => s.gateway.stop()));
      },
    };
  }

  afterAll(async () => {
    if (store.replicas > 1) {
      // Only this suite's counters: other suites share the Redis.
      const redis = new Redis(TEST_REDIS_URL);
      for (const tenant of tenants) {
        const keys = await redis.keys(`cellport:{${tenant}}:*`);
        if (keys.length > 0) await redis.del(...keys);
      }
      redis.disconnect();
    }
  });

  const ask = (client: OpenAI, prompt: string, extra: object = {}) =>
    client.chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: prompt }],
      max_tokens: MAX_TOKENS,
      ...extra,
    });

  async function metricRemaining(url: string, tenant: string) {
    const text = await (await fetch(`${url}/metrics`)).text();
    const match = text.match(
      new RegExp(
        `cellport_gateway_budget_remaining_usd\\{tenant="${tenant}"\\} (\\S+)`,
      ),
    );
    return match ? Number(match[1]) : undefined;
  }

  it('charges a nearly spent budget at most one request over, under concurrent mixed-script prompts', async () => {
    const tenant = newTenant();
    const budget = 1;
    const left = 6 * ONE_REQUEST_USD;
    // A month that began mid-test would give a second budget.
    const now = clockFromMinuteStart();
    const cluster = await startCluster(
      stateFor(simulator.url, tenant, { monthlyBudgetUsd: budget }),
      now,
    );
    try {
      // Spend all but `left` of the budget: a reservation counts until it is settled.
      const spent = await cluster.gateways[0].deps.limiter.reserve({
        tenant,
        limits: { requestsPerMinute: 100_000, tokensPerMinute: 1e12 },
        tenantBudgetUsd: budget,
        tokens: 0,
        costUsd: budget - left,
        nowMs: now(),
      });
      expect(spent.ok).toBe(true);
      const results = await inFlightTogether(() =>
        Promise.allSettled(
          Array.from({ length: 80 }, (_, i) =>
            ask(cluster.client(i), PROMPTS[i % PROMPTS.length]),
          ),
        ),
      );
      const ok = results.filter(r => r.status === 'fulfilled').length;
      const refused = results.filter(
        r =>
          r.status === 'rejected' &&
          (r.reason as { status?: number }).status === 429 &&
          (r.reason as { code?: string }).code === 'budget_exhausted',
      ).length;
      expect(ok + refused).toBe(80);
      expect(ok).toBeGreaterThanOrEqual(2);
      const usage = cluster.usage().filter(e => e.outcome === 'success');
      expect(usage).toHaveLength(ok);
      // The upstream counted every byte: what is charged is what it reported.
      for (const event of usage) {
        expect(event.inputTokens).toBeGreaterThan(1500);
        expect(event.tokensEstimated).toBe(false);
      }
      const charged = usage.reduce((sum, e) => sum + e.costUsd, 0);
      expect(charged).toBeLessThanOrEqual(left + ONE_REQUEST_USD);
      // Every reservation was settled to what the upstream reported.
      await eventually(async () => {
        const [stored] = await cluster.gateways[0].deps.limiter.monthSpendUsd(
          [tenant],
          now(),
        );
        return Math.abs(stored - (budget - left + charged)) < 1e-8;
      });
    } finally {
      await cluster.stop();
    }
  });

  it('lets the upstream generate no more than the reservation counted, whatever max_tokens asks for or leaves out', async () => {
    const tenant = newTenant();
    const state = stateFor(simulator.url, tenant, {});
    const bound = 8;
    state.modelProfiles = state.modelProfiles.map(profile =>
      profile.upstreamModel === UPSTREAM_MODEL
        ? { ...profile, maxOutputTokens: bound }
        : profile,
    );
    const cluster = await startCluster(state);
    try {
      const asks: object[] = [
        { max_tokens: 5000 },
        { max_tokens: undefined },
        { max_tokens: undefined, max_completion_tokens: 5000 },
      ];
      for (const [i, extra] of asks.entries()) {
        const answer = await ask(
          cluster.client(i),
          'Write a long essay about budgets.',
          extra,
        );
        expect(answer.usage?.completion_tokens).toBeLessThanOrEqual(bound);
      }
      const usage = cluster.usage();
      expect(usage).toHaveLength(asks.length);
      for (const event of usage) {
        expect(event.outputTokens).toBeLessThanOrEqual(bound);
      }
    } finally {
      await cluster.stop();
    }
  });

  it('holds tokens per minute at most one request over, under concurrent mixed-script prompts', async () => {
    const tenant = newTenant();
    const limit = 5 * ONE_REQUEST_TOKENS;
    // One fixed minute: no window ends during the test.
    const minute = Date.UTC(2026, 10, 16, 12, 30, 20);
    const cluster = await startCluster(
      stateFor(simulator.url, tenant, {
        monthlyBudgetUsd: 1000,
        limits: { requestsPerMinute: 100_000, tokensPerMinute: limit },
      }),
      () => minute,
    );
    try {
      const results = await inFlightTogether(() =>
        Promise.allSettled(
          Array.from({ length: 60 }, (_, i) =>
            ask(cluster.client(i), PROMPTS[i % PROMPTS.length]),
          ),
        ),
      );
      const ok = results.filter(r => r.status === 'fulfilled').length;
      const limited = results.filter(
        r =>
          r.status === 'rejected' &&
          (r.reason as { code?: string }).code === 'rate_limit_exceeded',
      ).length;
      expect(ok + limited).toBe(60);
      expect(ok).toBeGreaterThanOrEqual(2);
      const used = cluster
        .usage()
        .reduce((sum, e) => sum + e.inputTokens + e.outputTokens, 0);
      expect(used).toBeLessThanOrEqual(limit + ONE_REQUEST_TOKENS);
    } finally {
      await cluster.stop();
    }
  });

  it('reserves every one of n completions', async () => {
    const tenant = newTenant();
    // Room for one completion of 1,000 tokens ($0.01), not four.
    const cluster = await startCluster(
      stateFor(simulator.url, tenant, { monthlyBudgetUsd: 0.02 }),
    );
    try {
      const four = await ask(cluster.client(0), 'four answers, please', {
        n: 4,
        max_tokens: 1000,
      }).catch(e => e);
      expect(four.status).toBe(429);
      expect(four.code).toBe('budget_exhausted');
      await expect(
        ask(cluster.client(1), 'one answer, please', { max_tokens: 1000 }),
      ).resolves.toBeDefined();
    } finally {
      await cluster.stop();
    }
  });

  it('bounds the overspend of an upstream that ignores max_tokens to that request, and refuses until the next month', async () => {
    const tenant = newTenant();
    const budget = 0.01;
    let now = Date.UTC(2026, 10, 20, 9);
    simulator.catalog.update(UPSTREAM_MODEL, { ignoreMaxTokens: true });
    const cluster = await startCluster(
      stateFor(simulator.url, tenant, { monthlyBudgetUsd: budget }),
      () => now,
    );
    try {
      // It reserves one output token and gets the model's whole output limit (4,096).
      const first = await ask(cluster.client(0), 'hi', { max_tokens: 1 });
      expect(first.usage!.completion_tokens).toBe(4096);
      const [overspend] = cluster.usage();
      expect(overspend.costUsd).toBeGreaterThan(budget);

      // Every replica's gauge shows the overspend once settled, none a stale positive figure.
      for (const url of cluster.urls) {
        await eventually(async () => {
          const remaining = await metricRemaining(url, tenant);
          return (
            remaining !== undefined &&
            Math.abs(remaining - (budget - overspend.costUsd)) < 1e-8
          );
        });
      }
      expect(await metricRemaining(cluster.urls[0], tenant)).toBeLessThan(0);

      simulator.stats.reset();
      for (let i = 0; i < 4; i++) {
        const refused = await ask(cluster.client(i), 'hi', {
          max_tokens: 1,
        }).catch(e => e);
        expect(refused.status).toBe(429);
        expect(refused.code).toBe('budget_exhausted');
        // Whichever check refused it (the counters, or this replica's last reading of them),
        // the budget comes back next month.
        expect(
          Math.abs(
            Number(refused.headers.get('retry-after')) -
              secondsToNextMonth(now),
          ),
        ).toBeLessThanOrEqual(5);
      }
      expect(simulator.stats.snapshot().requests).toBe(0);
      const charged = cluster.usage().reduce((sum, e) => sum + e.costUsd, 0);
      expect(charged).toBe(overspend.costUsd);

      // A new month, a new budget.
      now = Date.UTC(2026, 11, 1, 0, 0, 5);
      await expect(
        ask(cluster.client(1), 'hi', { max_tokens: 1 }),
      ).resolves.toBeDefined();
    } finally {
      simulator.catalog.update(UPSTREAM_MODEL, { ignoreMaxTokens: false });
      await cluster.stop();
    }
  });

  it('keeps the context check on the realistic estimate, not the byte bound', async () => {
    const tenant = newTenant();
    const state = stateFor(simulator.url, tenant, { monthlyBudgetUsd: 50 });
    // 2,000 control characters: about 500 tokens estimated, 12,000 bytes as JSON escapes.
    for (const profile of state.modelProfiles) profile.contextLength = 4000;
    const cluster = await startCluster(state);
    try {
      await expect(
        ask(cluster.client(0), '\u0001'.repeat(2000)),
      ).resolves.toBeDefined();
    } finally {
      await cluster.stop();
    }
  });
});
