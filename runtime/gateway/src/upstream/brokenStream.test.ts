import OpenAI from 'openai';
import type { SimulatorServer } from '@cellport/simulator';
import type { UsageEvent } from '@cellport/plugin-platform-common';
import {
  eventually,
  KEYS,
  startGateway,
  startSimulator,
} from '../__testUtils__/fixtures';

// Real servers, Redis and NATS: generous limits so a loaded CI machine does not fail them.
jest.setTimeout(30_000);

describe('a stream the upstream breaks off mid-way', () => {
  let simulator: SimulatorServer;
  beforeAll(async () => {
    simulator = await startSimulator();
  });
  afterAll(() => simulator.stop());

  it('is charged for what it delivered, and counts against the upstream', async () => {
    const { gateway, url, events } = await startGateway(simulator.url, {
      overrides: { breaker: { failureThreshold: 1, openMs: 60_000 } },
    });
    simulator.faults.add({
      mode: 'cut',
      model: 'eu-large-model',
      extraLatencyMs: 0,
      retryAfterSeconds: 1,
    });
    try {
      const client = new OpenAI({
        apiKey: KEYS.northwind,
        baseURL: `${url}/v1`,
        maxRetries: 0,
      });
      let text = '';
      const error = await client.chat.completions
        .create({
          model: 'gpt-4o',
          messages: [{ role: 'user', content: 'break me' }],
          stream: true,
        })
        .then(async stream => {
          for await (const chunk of stream)
            text += chunk.choices[0]?.delta?.content ?? '';
        })
        .then(
          () => undefined,
          e => e,
        );
      // The caller sees the stream fail (a network error from its client), not a clean end.
      expect(error).toBeTruthy();
      expect(text.length).toBeGreaterThan(0);
      await eventually(() => events.usage().length === 1);
      const usage = events.usage()[0] as UsageEvent;
      expect(usage).toMatchObject({
        modelProfile: 'eu-large',
        status: 502,
        outcome: 'error',
        errorClass: 'upstream-error',
        tokensEstimated: true,
      });
      expect(usage.outputTokens).toBeGreaterThan(0);
      expect(usage.costUsd).toBeGreaterThan(0);
      expect(gateway.deps.health.get('eu-large').breaker.state).toBe('open');
      // The tenant's budget holds exactly what was charged: the rest of the reservation came back.
      await eventually(() => {
        const spent = gateway.deps.limiter.spentUsdHint(
          'northwind',
          Date.now(),
        );
        return spent !== undefined && Math.abs(spent - usage.costUsd) < 1e-9;
      });
    } finally {
      simulator.faults.clear();
      await gateway.stop();
    }
  });
});
