/**
 * Budgets hold whichever API a request comes through: chat completions, the Responses API,
 * the Messages API and embeddings, streamed or not, reserve against the same tenant and agent
 * budgets and settle to what they cost. Two replicas share the counters in Redis; prompts are
 * in the scripts tokenizers count lowest, and the simulator bills a prompt token per UTF-8
 * byte (`anyInput.test.ts` holds the same promise for chat completions alone).
 */
import Redis from 'ioredis';
import type { SimulatorServer } from '@cellport/simulator';
import type {
  GatewayDesiredState,
  UsageEvent,
} from '@cellport/plugin-platform-common';
import {
  clockFromMinuteStart,
  eventually,
  KEYS,
  postChat,
  startGateway,
  startSimulator,
  testState,
} from '../__testUtils__/fixtures';
import { RedisLimiter } from './RedisLimiter';
import { connectTestRedis, TEST_REDIS_URL } from '../__testUtils__/testRedis';

// Two replicas, Redis and bursts held in flight together.
jest.setTimeout(60_000);

/** Northwind's gpt-4o is eu-large: $2.50 / $10 per million input / output tokens. */
const PRICE = { input: 2.5e-6, output: 10e-6 };
const MAX_TOKENS = 16;

const PROMPTS = [
  '預算必須對任何輸入都成立，無論是哪種文字。'.repeat(30),
  'يجب أن تصمد الميزانية لأي مدخل '.repeat(30),
  '🧨💸👩‍👩‍👧‍👦🫠'.repeat(40),
  'e\u0301\u0308\u20dd'.repeat(150),
  '\u0001\u0007\u001b\u007f\u200b\u202e'.repeat(100),
];

/** Request `i`: the API is `i % 4`, one in two of the chat-like ones streamed. */
function requestFor(i: number): {
  path: string;
  body: Record<string, unknown>;
} {
  const prompt = PROMPTS[i % PROMPTS.length];
  const stream = i % 8 < 3 ? { stream: true } : {};
  switch (i % 4) {
    case 0:
      return {
        path: '/v1/chat/completions',
        body: {
          model: 'gpt-4o',
          max_tokens: MAX_TOKENS,
          messages: [{ role: 'user', content: prompt }],
          ...(i % 8 === 0 ? { stream_options: { include_usage: true } } : {}),
          ...stream,
        },
      };
    case 1:
      return {
        path: '/v1/responses',
        body: {
          model: 'gpt-4o',
          max_output_tokens: MAX_TOKENS,
          instructions: prompt.slice(0, 20),
          input: prompt,
          ...stream,
        },
      };
    case 2:
      return {
        path: '/v1/messages',
        body: {
          model: 'gpt-4o',
          max_tokens: MAX_TOKENS,
          system: prompt.slice(0, 20),
          messages: [{ role: 'user', content: prompt }],
          ...stream,
        },
      };
    default:
      return {
        path: '/v1/embeddings',
        body: { model: 'text-embedding-3-small', input: [prompt, prompt] },
      };
  }
}

/** More than any of these requests can cost: every body byte a token, and its whole output. */
const ONE_REQUEST_USD = Math.max(
  ...Array.from({ length: 8 }, (_, i) => {
    const bytes = Buffer.byteLength(JSON.stringify(requestFor(i).body));
    return (bytes + 300) * PRICE.input + MAX_TOKENS * PRICE.output;
  }),
);

/** The status of request `i` as `key`'s caller, once its whole answer arrived. */
async function send(url: string, i: number, key = KEYS.northwind) {
  const { path, body } = requestFor(i);
  const response = await postChat(url, body, { key, path });
  await response.arrayBuffer();
  return response.status;
}

async function metricRemaining(url: string, tenant: string) {
  const text = await (await fetch(`${url}/metrics`)).text();
  const match = new RegExp(
    `cellport_gateway_budget_remaining_usd\\{tenant="${tenant}"\\} (\\S+)`,
  ).exec(text);
  return match ? Number(match[1]) : undefined;
}

describe('budgets across every inference API, two replicas sharing Redis', () => {
  let simulator: SimulatorServer;
  let redis: Redis;
  const tenants: string[] = [];
  beforeAll(async () => {
    redis = await connectTestRedis();
    simulator = await startSimulator();
    for (const model of [
      'eu-large-model',
      'eu-small-model',
      'eu-embed-model',
    ]) {
      simulator.catalog.update(model, { promptTokens: 'utf8-bytes' });
    }
  });
  afterAll(async () => {
    await simulator.stop();
    // Only this suite's counters: other suites share the Redis.
    for (const tenant of tenants) {
      const keys = await redis.keys(`cellport:{${tenant}}:*`);
      if (keys.length > 0) await redis.del(...keys);
    }
    redis.disconnect();
  });

  /** The test state with Northwind renamed to a tenant of its own, so runs never share counters. */
  function stateFor(
    budgetUsd: number,
    agentBudgetUsd?: number,
  ): { tenant: string; state: GatewayDesiredState } {
    const tenant = `ep-${Math.random().toString(36).slice(2, 10)}`;
    tenants.push(tenant);
    const state = testState(simulator.url, `endpoints-${tenant}`);
    state.tenants = state.tenants.map(t =>
      t.id === 'northwind'
        ? { ...t, id: tenant, monthlyBudgetUsd: budgetUsd }
        : t,
    );
    state.apiKeys = state.apiKeys.map(k =>
      k.tenant === 'northwind' ? { ...k, tenant } : k,
    );
    state.agents = state.agents.map(a =>
      a.tenant === 'northwind'
        ? { ...a, tenant, monthlyBudgetUsd: agentBudgetUsd }
        : a,
    );
    return { tenant, state };
  }

  async function startReplicas(state: GatewayDesiredState) {
    // A month that began mid-test would give a second budget.
    const now = clockFromMinuteStart();
    const started = await Promise.all(
      [0, 1].map(() =>
        startGateway(simulator.url, {
          state,
          overrides: { limiter: new RedisLimiter(TEST_REDIS_URL), now },
        }),
      ),
    );
    return {
      now,
      limiter: started[0].gateway.deps.limiter,
      urls: started.map(s => s.url),
      usage: () => started.flatMap(s => s.events.usage() as UsageEvent[]),
      stop: () => Promise.all(started.map(s => s.gateway.stop())),
    };
  }

  /** A slow upstream keeps every request of a burst in flight at once: all reserve before any settles. */
  async function inFlightTogether<T>(burst: () => Promise<T>): Promise<T> {
    const models = ['eu-large-model', 'eu-small-model', 'eu-embed-model'];
    for (const model of models)
      simulator.catalog.update(model, { ttftMs: 300 });
    try {
      return await burst();
    } finally {
      for (const model of models) {
        simulator.catalog.update(model, { ttftMs: 0 });
      }
    }
  }

  it('charges a nearly spent budget at most one request over, and every replica reports what is left', async () => {
    const budget = 1;
    const left = 6 * ONE_REQUEST_USD;
    const { tenant, state } = stateFor(budget);
    const replicas = await startReplicas(state);
    try {
      // Spend all but `left` of the budget: a reservation counts until it is settled.
      const spent = await replicas.limiter.reserve({
        tenant,
        limits: { requestsPerMinute: 100_000, tokensPerMinute: 1e12 },
        tenantBudgetUsd: budget,
        tokens: 0,
        costUsd: budget - left,
        nowMs: replicas.now(),
      });
      expect(spent.ok).toBe(true);
      const statuses = await inFlightTogether(() =>
        Promise.all(
          Array.from({ length: 96 }, (_, i) => send(replicas.urls[i % 2], i)),
        ),
      );
      expect(statuses.filter(s => s !== 200 && s !== 429)).toEqual([]);
      const ok = statuses.filter(s => s === 200).length;
      expect(ok).toBeGreaterThanOrEqual(2);
      await eventually(
        () =>
          replicas.usage().filter(e => e.outcome === 'success').length === ok,
      );
      const charged = replicas.usage().reduce((sum, e) => sum + e.costUsd, 0);
      expect(charged).toBeLessThanOrEqual(left + ONE_REQUEST_USD);
      // Every reservation settled to what was charged, and each replica's gauge says so. Up
      // to 20 s: 96 refunds reach Redis through two replicas on a machine the other test
      // files load too (one CI run missed the 5 s that other waits take).
      await eventually(async () => {
        const [stored] = await replicas.limiter.monthSpendUsd(
          [tenant],
          replicas.now(),
        );
        return Math.abs(stored - (budget - left + charged)) < 1e-8;
      }, 800);
      for (const url of replicas.urls) {
        await eventually(async () => {
          const remaining = await metricRemaining(url, tenant);
          return (
            remaining !== undefined &&
            Math.abs(remaining - (left - charged)) < 1e-8
          );
        }, 800);
      }
    } finally {
      await replicas.stop();
    }
  });

  it("charges a request its agent's fallback served once, and a request that failed everywhere nothing", async () => {
    const { tenant, state } = stateFor(10);
    const replicas = await startReplicas(state);
    try {
      // The agent's preferred profile answers 500: its fallback (eu-small) serves.
      simulator.faults.add({
        mode: 'error',
        model: 'eu-large-model',
        extraLatencyMs: 0,
        retryAfterSeconds: 1,
      });
      // Chat completions, streamed and not.
      const served = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          send(replicas.urls[i % 2], i * 4, KEYS.northwindAgent),
        ),
      );
      expect(served).toEqual(Array(12).fill(200));
      simulator.faults.add({
        mode: 'outage',
        extraLatencyMs: 0,
        retryAfterSeconds: 1,
      });
      const failed = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          send(replicas.urls[i % 2], i * 4, KEYS.northwindAgent),
        ),
      );
      expect(failed.filter(s => s < 500)).toEqual([]);
      await eventually(() => replicas.usage().length === 24);
      const charged = replicas.usage().reduce((sum, e) => sum + e.costUsd, 0);
      expect(
        replicas
          .usage()
          .filter(e => e.outcome === 'success')
          .map(e => e.modelProfile),
      ).toEqual(Array(12).fill('eu-small'));
      await eventually(async () => {
        const [stored] = await replicas.limiter.monthSpendUsd(
          [tenant],
          replicas.now(),
        );
        return Math.abs(stored - charged) < 1e-8;
      });
    } finally {
      simulator.faults.clear();
      await replicas.stop();
    }
  });

  it("holds an agent's nearly spent budget at most one request over, beside its tenant's own traffic", async () => {
    const agentBudget = 0.5;
    const agentLeft = 5 * ONE_REQUEST_USD;
    const { tenant, state } = stateFor(1000, agentBudget);
    const replicas = await startReplicas(state);
    try {
      const spent = await replicas.limiter.reserve({
        tenant,
        agent: 'nw-assistant',
        limits: { requestsPerMinute: 100_000, tokensPerMinute: 1e12 },
        tenantBudgetUsd: 1000,
        agentBudgetUsd: agentBudget,
        tokens: 0,
        costUsd: agentBudget - agentLeft,
        nowMs: replicas.now(),
      });
      expect(spent.ok).toBe(true);
      // The chat-like APIs (agents route chat); one request in three on the tenant's own key.
      const chatLike = Array.from({ length: 120 }, (_, i) => i).filter(
        i => i % 4 !== 3,
      );
      const results = await inFlightTogether(() =>
        Promise.all(
          chatLike.map(async (i, k) => {
            const agent = k % 3 !== 0;
            const key = agent ? KEYS.northwindAgent : KEYS.northwind;
            return { agent, status: await send(replicas.urls[k % 2], i, key) };
          }),
        ),
      );
      expect(results.filter(r => r.status !== 200 && r.status !== 429)).toEqual(
        [],
      );
      // The tenant's own key is not held by its agent's budget.
      expect(results.filter(r => !r.agent && r.status !== 200)).toEqual([]);
      const agentOk = results.filter(r => r.agent && r.status === 200).length;
      expect(agentOk).toBeGreaterThanOrEqual(2);
      await eventually(
        () =>
          replicas.usage().filter(e => e.outcome === 'success').length ===
          results.filter(r => r.status === 200).length,
      );
      const agentCharged = replicas
        .usage()
        .filter(e => e.agent === 'nw-assistant')
        .reduce((sum, e) => sum + e.costUsd, 0);
      expect(agentCharged).toBeLessThanOrEqual(agentLeft + ONE_REQUEST_USD);
    } finally {
      await replicas.stop();
    }
  });
});
