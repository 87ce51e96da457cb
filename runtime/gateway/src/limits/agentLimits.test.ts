import Redis from 'ioredis';
import OpenAI from 'openai';
import type { SimulatorServer } from '@cellport/simulator';
import type {
  GatewayDesiredState,
  RoutingDecision,
  UsageEvent,
} from '@cellport/plugin-platform-common';
import {
  eventually,
  KEYS,
  startGateway,
  startSimulator,
  testState,
} from '../__testUtils__/fixtures';
import type { Gateway } from '../createGateway';
import { InMemoryLimiter } from './InMemoryLimiter';
import { promptTokenBound } from './promptTokenBound';
import { RedisLimiter } from './RedisLimiter';
import type { WindowedLimiter } from './WindowedLimiter';
import { connectTestRedis, TEST_REDIS_URL } from '../__testUtils__/testRedis';

// Real servers, Redis and NATS: generous limits so a loaded CI machine does not fail them.
jest.setTimeout(30_000);

/** The test state with nw-assistant (northwind's agent) given its own rate limits. */
function agentLimitedState(
  simulatorUrl: string,
  limits: { requestsPerMinute: number; tokensPerMinute: number },
  version = 'agent-limits',
): GatewayDesiredState {
  const state = testState(simulatorUrl, version);
  state.agents[0].limits = limits;
  return state;
}

const request = {
  model: 'gpt-4o',
  messages: [{ role: 'user' as const, content: 'agent limits test' }],
  max_tokens: 20,
};

/**
 * Through the gateway, with the OpenAI client, against both limiter backends. Each test runs
 * on its own frozen clock, in a minute no other test uses, so windows never roll under it and
 * Redis counters of other suites (or earlier runs) are not in the way.
 */
describe.each([
  ['in process', () => new InMemoryLimiter()],
  ['Redis', () => new RedisLimiter(TEST_REDIS_URL)],
])("an agent's own RPM and TPM (%s limiter)", (name, create) => {
  let simulator: SimulatorServer;
  let redis: Redis | undefined;
  let minute = Math.floor(Date.parse('2031-03-01T00:00:00Z') / 60_000);
  minute += Math.floor(Math.random() * 100_000) * 10;
  let now = 0;
  let limiter: WindowedLimiter;
  let gateway: Gateway | undefined;
  let url = '';
  let events: Awaited<ReturnType<typeof startGateway>>['events'];

  beforeAll(async () => {
    simulator = await startSimulator();
    if (name !== 'Redis') return;
    redis = await connectTestRedis();
  });
  afterAll(async () => {
    redis?.disconnect();
    await simulator.stop();
  });
  beforeEach(() => {
    minute += 1;
    // Ten seconds into the minute: Retry-After is 50.
    now = minute * 60_000 + 10_000;
  });
  afterEach(async () => {
    simulator.faults.clear();
    await gateway?.stop();
    gateway = undefined;
    if (!redis) return;
    const month = new Date(now).toISOString().slice(0, 7);
    for (const pattern of [`*:${minute}`, `*:budget:${month}`]) {
      const keys = await redis.keys(`cellport:{northwind}:${pattern}`);
      if (keys.length > 0) await redis.del(...keys);
    }
  });

  async function start(state: GatewayDesiredState) {
    limiter = create();
    ({ gateway, url, events } = await startGateway(simulator.url, {
      state,
      overrides: { limiter, now: () => now },
    }));
  }
  const client = (key: string) =>
    new OpenAI({ apiKey: key, baseURL: `${url}/v1`, maxRetries: 0 });

  it("refuses the agent's requests over its RPM with 429, Retry-After and whose limit it was", async () => {
    await start(
      agentLimitedState(simulator.url, {
        requestsPerMinute: 2,
        tokensPerMinute: 1_000_000,
      }),
    );
    const agent = client(KEYS.northwindAgent);
    await agent.chat.completions.create(request);
    await agent.chat.completions.create(request);
    const error = await agent.chat.completions.create(request).catch(e => e);
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    expect(error.status).toBe(429);
    expect(error.headers.get('retry-after')).toBe('50');
    expect(error.error).toEqual({
      message:
        "agent nw-assistant's RPM limit is exhausted: 2 requests per minute",
      type: 'rate_limit_error',
      param: null,
      code: 'rate_limit_exceeded',
    });
    // Embeddings count against the same window.
    await expect(
      agent.embeddings.create({ model: 'text-embedding-3-small', input: 'x' }),
    ).rejects.toMatchObject({ status: 429 });
    // The tenant's own key is not held by its agent's limit.
    await expect(
      client(KEYS.northwind).chat.completions.create(request),
    ).resolves.toBeDefined();
    expect(await limiter.minuteUsage('northwind', 'nw-assistant', now)).toEqual(
      expect.objectContaining({ requests: 2 }),
    );
    expect(
      events.usage().filter(e => e.errorClass === 'rate-limited'),
    ).toHaveLength(2);
  });

  it("refuses the agent's requests over its TPM and names the TPM limit", async () => {
    // A request claims its prompt's token bound (its body's ~90 bytes) plus max_tokens, more than 30.
    await start(
      agentLimitedState(simulator.url, {
        requestsPerMinute: 100,
        tokensPerMinute: 30,
      }),
    );
    const agent = client(KEYS.northwindAgent);
    await agent.chat.completions.create(request);
    const error = await agent.chat.completions.create(request).catch(e => e);
    expect(error.status).toBe(429);
    expect(error.error.code).toBe('rate_limit_exceeded');
    expect(error.error.message).toBe(
      "agent nw-assistant's TPM limit is exhausted: 30 tokens per minute",
    );
    expect(Number(error.headers.get('retry-after'))).toBe(50);
  });

  it('counts the tokens of a request that fell back once, settled to what it used', async () => {
    await start(
      agentLimitedState(simulator.url, {
        requestsPerMinute: 100,
        tokensPerMinute: 1_000_000,
      }),
    );
    // nw-assistant prefers eu-large; it is down, so eu-small (its fallback) answers.
    simulator.faults.add({
      mode: 'outage',
      model: 'eu-large-model',
      extraLatencyMs: 0,
      retryAfterSeconds: 1,
    });
    const completion = await client(
      KEYS.northwindAgent,
    ).chat.completions.create(request);
    const decision = events.decisions()[0] as RoutingDecision;
    expect(decision.fallbacks).toHaveLength(1);
    expect(decision.chosen).toBe('eu-small');
    const used = completion.usage!.total_tokens;
    expect((events.usage()[0] as UsageEvent).inputTokens).toBe(
      completion.usage!.prompt_tokens,
    );
    // Settling runs after the answer; once it lands, each window holds the tokens used, once.
    await eventually(
      async () =>
        (await limiter.minuteUsage('northwind', 'nw-assistant', now)).tokens ===
        used,
    );
    expect(await limiter.minuteUsage('northwind', 'nw-assistant', now)).toEqual(
      { requests: 1, tokens: used },
    );
    expect(await limiter.minuteUsage('northwind', undefined, now)).toEqual({
      requests: 1,
      tokens: used,
    });

    // A push that leaves room for exactly one more such request: it passes, the next is refused.
    // What it reserves: its body's bytes (as the OpenAI client sends it) plus max_tokens.
    const claim =
      promptTokenBound(Buffer.from(JSON.stringify(request))) +
      request.max_tokens;
    gateway!.deps.state.apply(
      agentLimitedState(
        simulator.url,
        { requestsPerMinute: 100, tokensPerMinute: used + claim },
        'agent-limits-2',
      ),
    );
    await client(KEYS.northwindAgent).chat.completions.create(request);
    await eventually(
      async () =>
        (await limiter.minuteUsage('northwind', 'nw-assistant', now)).tokens ===
        2 * used,
    );
    const error = await client(KEYS.northwindAgent)
      .chat.completions.create(request)
      .catch(e => e);
    expect(error.status).toBe(429);
    expect(error.error.message).toMatch(/^agent nw-assistant's TPM limit/);
  });
});
