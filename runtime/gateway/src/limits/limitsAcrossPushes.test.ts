/**
 * A budget or a rate limit that a push sets or lowers counts what was already used: a tenant
 * or an agent already over it is refused by its very next request, and /metrics charts the
 * overspend. An agent's use counts even while it has no limits of its own, so that a budget
 * or an RPM given to it later sees its month and its minute (README, Budgets and limits). A
 * gateway in process with the in-memory limiter, its clock held still inside one minute so
 * that no window turns during a test (`sharedLimitsAcrossPushes.test.ts` holds the same
 * promise across replicas sharing Redis).
 */
import type { SimulatorServer } from '@cellport/simulator';
import type { UsageEvent } from '@cellport/plugin-platform-common';
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
import type { Gateway } from '../createGateway';

// Real servers: generous limits so a loaded CI machine does not fail them.
jest.setTimeout(60_000);

const NOW = Date.parse('2026-06-15T12:00:30Z');

/** A request as `key`'s caller: its status and, for a refusal, its error. */
async function ask(url: string, key: string, model: string) {
  const response = await postChat(
    url,
    {
      model,
      messages: [{ role: 'user', content: 'hello there' }],
      max_tokens: 50,
    },
    { key },
  );
  const body = await response.json();
  return {
    status: response.status,
    code: body.error?.code as string | undefined,
    message: body.error?.message as string | undefined,
    retryAfter: response.headers.get('retry-after'),
  };
}

describe('limits a push sets or lowers', () => {
  let simulator: SimulatorServer;
  let gateway: Gateway;
  let url: string;
  let events: RecordingEventSink;
  beforeAll(async () => {
    simulator = await startSimulator();
  });
  beforeEach(async () => {
    ({ gateway, url, events } = await startGateway(simulator.url, {
      overrides: { now: () => NOW },
    }));
  });
  afterEach(async () => {
    await gateway.stop();
  });
  afterAll(() => simulator.stop());

  /** `count` requests served as `key`'s caller: what they cost, once all are settled. */
  const spend = async (key: string, model: string, count: number) => {
    for (let i = 0; i < count; i++) {
      expect((await ask(url, key, model)).status).toBe(200);
    }
    await eventually(() => events.usage().length === count);
    return (events.usage() as UsageEvent[]).reduce(
      (sum, usage) => sum + usage.costUsd,
      0,
    );
  };

  describe("a tenant's", () => {
    it('refuses a tenant whose budget a push lowered below its spend, and charts what is left negative', async () => {
      const spent = await spend(KEYS.brightpath, 'gpt-4o-mini', 3);
      expect(spent).toBeGreaterThan(0);
      const lowered = testState(simulator.url, 'v-lowered');
      lowered.tenants[1].monthlyBudgetUsd = spent / 4;
      expect((await pushState(url, lowered)).status).toBe(200);
      expect(await ask(url, KEYS.brightpath, 'gpt-4o-mini')).toMatchObject({
        status: 429,
        code: 'budget_exhausted',
      });
      expect(await budgetRemaining(url, 'brightpath')).toBeCloseTo(
        spent / 4 - spent,
        9,
      );
    });

    it("refuses a tenant once a push lowers its RPM below this minute's requests, and serves it again once raised", async () => {
      await spend(KEYS.brightpath, 'gpt-4o-mini', 5);
      const lowered = testState(simulator.url, 'v-rpm');
      lowered.tenants[1].limits.requestsPerMinute = 3;
      expect((await pushState(url, lowered)).status).toBe(200);
      expect(await ask(url, KEYS.brightpath, 'gpt-4o-mini')).toMatchObject({
        status: 429,
        code: 'rate_limit_exceeded',
        retryAfter: expect.any(String),
      });
      const raised = testState(simulator.url, 'v-rpm-up');
      expect((await pushState(url, raised)).status).toBe(200);
      expect((await ask(url, KEYS.brightpath, 'gpt-4o-mini')).status).toBe(200);
    });
  });

  describe("an agent's", () => {
    // Twenty requests: the agent's spend is many times what one more request would reserve.
    const spendAsAgent = () => spend(KEYS.northwindAgent, 'auto', 20);

    it('refuses an agent that had no budget once a push gives it one below what it spent this month', async () => {
      const spent = await spendAsAgent();
      expect(spent).toBeGreaterThan(0);
      const capped = testState(simulator.url, 'v-agent-budget');
      capped.agents[0].monthlyBudgetUsd = spent / 2;
      expect((await pushState(url, capped)).status).toBe(200);
      expect(await ask(url, KEYS.northwindAgent, 'auto')).toMatchObject({
        status: 429,
        code: 'budget_exhausted',
        message: expect.stringMatching(/agent nw-assistant/),
      });
    });

    it('refuses an agent that had a budget all along once a push lowers it below its spend', async () => {
      const withBudget = testState(simulator.url, 'v-agent-has-budget');
      withBudget.agents[0].monthlyBudgetUsd = 10;
      expect((await pushState(url, withBudget)).status).toBe(200);
      const spent = await spendAsAgent();
      const lowered = testState(simulator.url, 'v-agent-lowered');
      lowered.agents[0].monthlyBudgetUsd = spent / 2;
      expect((await pushState(url, lowered)).status).toBe(200);
      expect(await ask(url, KEYS.northwindAgent, 'auto')).toMatchObject({
        status: 429,
        code: 'budget_exhausted',
      });
    });

    it('refuses an agent that had no limits once a push gives it an RPM below the requests it made this minute', async () => {
      await spendAsAgent();
      const limited = testState(simulator.url, 'v-agent-rpm');
      limited.agents[0].limits = {
        requestsPerMinute: 2,
        tokensPerMinute: 10_000_000,
      };
      expect((await pushState(url, limited)).status).toBe(200);
      expect(await ask(url, KEYS.northwindAgent, 'auto')).toMatchObject({
        status: 429,
        code: 'rate_limit_exceeded',
      });
    });
  });
});
