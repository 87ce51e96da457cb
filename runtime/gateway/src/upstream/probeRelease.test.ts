import { SimulatorServer } from '@cellport/simulator';
import {
  eventually,
  KEYS,
  postChat,
  startGateway,
  startSimulator,
} from '../__testUtils__/fixtures';
import type { Gateway } from '../createGateway';

jest.setTimeout(30_000);

/**
 * The half-open probe slot is given back when the probe's caller leaves (before headers or
 * mid-stream) and only one probe goes out under a burst, through the translated APIs and
 * embeddings, with OpenAI- and Anthropic-protocol upstreams (failover.test.ts covers chat only).
 */
describe('half-open probes through the translated APIs and embeddings', () => {
  let simulator: SimulatorServer;
  let gateway: Gateway;
  let url: string;
  let clock = Date.now();
  const openMs = 30_000;

  beforeAll(async () => {
    simulator = await startSimulator();
    ({ gateway, url } = await startGateway(simulator.url, {
      overrides: { now: () => clock, breaker: { failureThreshold: 1, openMs } },
    }));
  });
  afterAll(async () => {
    await gateway.stop();
    await simulator.stop();
  });
  afterEach(() => {
    simulator.faults.clear();
    simulator.stats.reset();
  });

  function halfOpen(profile: string) {
    clock += 3_600_000;
    const breaker = gateway.deps.health.get(profile).breaker;
    breaker.onFailure(breaker.tryAcquire());
    expect(breaker.state).toBe('open');
    clock += openMs;
    expect(breaker.state).toBe('half-open');
    return breaker;
  }

  const cases: Array<
    [string, string, string, string, Record<string, unknown>]
  > = [
    [
      'embeddings',
      'eu-embed',
      KEYS.northwind,
      '/v1/embeddings',
      { model: 'text-embedding-3-small', input: 'hi' },
    ],
    [
      'messages stream, anthropic upstream',
      'claude',
      KEYS.brightpath,
      '/v1/messages',
      {
        model: 'claude-haiku',
        max_tokens: 50,
        stream: true,
        messages: [{ role: 'user', content: 'hi' }],
      },
    ],
    [
      'responses JSON, openai upstream',
      'eu-large',
      KEYS.northwind,
      '/v1/responses',
      { model: 'gpt-4o', input: 'hi' },
    ],
    [
      'responses stream, anthropic upstream',
      'claude',
      KEYS.brightpath,
      '/v1/responses',
      { model: 'claude-haiku', stream: true, input: 'hi' },
    ],
  ];

  it.each(cases)(
    '%s: a probe whose caller leaves before headers frees its slot',
    async (_name, profile, key, path, body) => {
      const breaker = halfOpen(profile);
      simulator.faults.add({
        mode: 'slow',
        extraLatencyMs: 5_000,
        retryAfterSeconds: 1,
      });
      const controller = new AbortController();
      const pending = postChat(url, body, {
        key,
        path,
        signal: controller.signal,
      }).catch(e => e);
      await eventually(() => simulator.stats.snapshot().requests === 1);
      expect(breaker.refusesCalls()).toBe(true);
      controller.abort();
      await pending;
      await eventually(() => !breaker.refusesCalls(), 80);
      simulator.faults.clear();
      const next = await postChat(
        url,
        { ...body, stream: false },
        { key, path },
      );
      await next.arrayBuffer();
      expect(next.status).toBe(200);
      expect(breaker.state).toBe('closed');
    },
  );

  it.each(cases.slice(1, 2))(
    '%s: a burst at a half-open circuit sends one probe; the rest get 503',
    async (_name, profile, key, path, body) => {
      const breaker = halfOpen(profile);
      simulator.faults.add({
        mode: 'slow',
        extraLatencyMs: 500,
        retryAfterSeconds: 1,
      });
      const statuses = await Promise.all(
        Array.from({ length: 20 }, () =>
          postChat(url, body, { key, path }).then(async r => {
            await r.arrayBuffer();
            return r.status;
          }),
        ),
      );
      expect(simulator.stats.snapshot().requests).toBe(1);
      expect(statuses.filter(s => s === 200)).toHaveLength(1);
      expect(new Set(statuses.filter(s => s !== 200))).toEqual(new Set([503]));
      expect(breaker.state).toBe('closed');
    },
  );

  it.each(cases.filter(c => c[4].stream))(
    '%s: a probe whose caller leaves mid-stream frees its slot without reopening the circuit',
    async (_name, profile, key, path, body) => {
      const slow = new SimulatorServer({
        port: 0,
        defaults: {
          ttftMs: 0,
          tokensPerSecond: 4,
          errorRate: 0,
          maxOutputTokens: 4096,
          embeddingDimensions: 8,
        },
      });
      await slow.start();
      const { gateway: gw, url: gwUrl } = await startGateway(slow.url, {
        overrides: {
          now: () => clock,
          breaker: { failureThreshold: 1, openMs },
        },
      });
      try {
        clock += 3_600_000;
        const breaker = gw.deps.health.get(profile).breaker;
        breaker.onFailure(breaker.tryAcquire());
        clock += openMs;
        expect(breaker.state).toBe('half-open');
        const controller = new AbortController();
        const response = await postChat(gwUrl, body, {
          key,
          path,
          signal: controller.signal,
        });
        expect(response.status).toBe(200);
        const reader = response.body!.getReader();
        await reader.read();
        controller.abort();
        await reader.read().catch(() => undefined);
        await eventually(() => !breaker.refusesCalls(), 80);
        expect(breaker.state).toBe('half-open');
      } finally {
        await gw.stop();
        await slow.stop();
      }
    },
  );
});
