/**
 * Two replicas sharing their counters in Redis, pushed the same state, refuse a tenant at
 * once when the push lowers its budget below what both spent or its RPM below what both used
 * this minute; each charts the same overspend. Gateways in process with real RedisLimiters on
 * the tests' Redis, a tenant of this file's own, their clocks held still inside one minute
 * (`limitsAcrossPushes.test.ts` holds the same promise for one replica, agents included).
 */
import type { SimulatorServer } from '@cellport/simulator';
import type {
  GatewayDesiredState,
  UsageEvent,
} from '@cellport/plugin-platform-common';
import {
  eventually,
  KEYS,
  postChat,
  RecordingEventSink,
  startGateway,
  startSimulator,
  testState,
} from '../__testUtils__/fixtures';
import { budgetRemaining, pushState } from '../__testUtils__/gatewayCalls';
import { connectTestRedis, TEST_REDIS_URL } from '../__testUtils__/testRedis';
import { RedisLimiter } from './RedisLimiter';
import type { Gateway } from '../createGateway';

// Two replicas and Redis: generous limits so a loaded CI machine does not fail them.
jest.setTimeout(60_000);

const NOW = Date.parse('2026-06-15T12:00:30Z');
/** Brightpath under an id no other run or suite counts against in the shared Redis. */
const TENANT = `pushed-${Math.random().toString(36).slice(2, 10)}`;

function stateOf(simulatorUrl: string, version: string): GatewayDesiredState {
  const state = testState(simulatorUrl, version);
  state.tenants[1].id = TENANT;
  for (const key of state.apiKeys) {
    if (key.tenant === 'brightpath') key.tenant = TENANT;
  }
  return state;
}

/** A request of the tenant's: its status and, for a refusal, its error code. */
async function ask(url: string) {
  const response = await postChat(
    url,
    {
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'hi' }],
      max_tokens: 20,
    },
    { key: KEYS.brightpath },
  );
  const body = await response.json();
  return { status: response.status, code: body.error?.code };
}

describe('pushes to replicas sharing Redis', () => {
  let simulator: SimulatorServer;
  let replicas: Array<{
    gateway: Gateway;
    url: string;
    events: RecordingEventSink;
    limiter: RedisLimiter;
  }>;
  beforeAll(async () => {
    simulator = await startSimulator();
    replicas = await Promise.all(
      [0, 1].map(async () => {
        const limiter = new RedisLimiter(TEST_REDIS_URL);
        const replica = await startGateway(simulator.url, {
          state: stateOf(simulator.url, 'v1'),
          overrides: { limiter, now: () => NOW },
        });
        return { ...replica, limiter };
      }),
    );
  });
  afterAll(async () => {
    await Promise.all(replicas.map(r => r.gateway.stop()));
    await simulator.stop();
    const redis = await connectTestRedis();
    const keys = await redis.keys(`cellport:{${TENANT}}:*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  });

  /** Pushes `state` to both replicas, as the reconciler does. */
  const pushToBoth = async (state: GatewayDesiredState) => {
    for (const { url } of replicas) {
      expect((await pushState(url, state)).status).toBe(200);
    }
  };

  it('refuses at once on both once pushed a budget below what both spent, and both chart it negative', async () => {
    for (let i = 0; i < 20; i++) {
      expect((await ask(replicas[i % 2].url)).status).toBe(200);
    }
    const usage = () => replicas.flatMap(r => r.events.usage()) as UsageEvent[];
    await eventually(() => usage().length === 20);
    const charged = usage().reduce((sum, u) => sum + u.costUsd, 0);
    expect(charged).toBeGreaterThan(0);
    // Each replica gives back what its settled reservations held unspent as it reads.
    let spent = 0;
    await eventually(async () => {
      const read = await Promise.all(
        replicas.map(r => r.limiter.monthSpendUsd([TENANT], NOW)),
      );
      spent = read[1][0];
      return Math.abs(read[0][0] - charged) < 1e-6 && read[1][0] === read[0][0];
    });
    const lowered = stateOf(simulator.url, 'v-lowered');
    lowered.tenants[1].monthlyBudgetUsd = spent / 2;
    await pushToBoth(lowered);
    for (const { url } of replicas) {
      expect(await ask(url)).toEqual({ status: 429, code: 'budget_exhausted' });
    }
    for (const { url } of replicas) {
      expect(await budgetRemaining(url, TENANT)).toBeCloseTo(-spent / 2, 6);
    }
  });

  it("refuses at once on both once pushed an RPM below this minute's requests on both together", async () => {
    // The requests of the test before, in the same minute: the clock stands still.
    const { requests } = await replicas[0].limiter.minuteUsage(
      TENANT,
      undefined,
      NOW,
    );
    expect(requests).toBeGreaterThan(1);
    const lowered = stateOf(simulator.url, 'v-rpm');
    lowered.tenants[1].limits.requestsPerMinute = 1;
    await pushToBoth(lowered);
    for (const { url } of replicas) {
      expect(await ask(url)).toEqual({
        status: 429,
        code: 'rate_limit_exceeded',
      });
    }
  });
});
