import OpenAI from 'openai';
import type { SimulatorServer } from '@cellport/simulator';
import type {
  RoutingDecision,
  UsageEvent,
} from '@cellport/plugin-platform-common';
import {
  KEYS,
  RecordingEventSink,
  startGateway,
  startSimulator,
} from '../__testUtils__/fixtures';
import type { Gateway } from '../createGateway';

// Real servers, Redis and NATS: generous limits so a loaded CI machine does not fail them.
jest.setTimeout(30_000);

describe('fallbacks and circuit breakers under injected outages', () => {
  let simulator: SimulatorServer;
  let gateway: Gateway;
  let events: RecordingEventSink;
  let client: OpenAI;
  let clock = Date.now();

  beforeAll(async () => {
    simulator = await startSimulator();
    let url: string;
    ({ gateway, url, events } = await startGateway(simulator.url, {
      overrides: {
        now: () => clock,
        breaker: { failureThreshold: 3, openMs: 30_000 },
      },
    }));
    client = new OpenAI({
      apiKey: KEYS.northwindAgent,
      baseURL: `${url}/v1`,
      maxRetries: 0,
    });
  });
  afterAll(async () => {
    await gateway.stop();
    await simulator.stop();
  });
  afterEach(() => {
    simulator.faults.clear();
    simulator.stats.reset();
    events.events.length = 0;
  });

  const ask = (stream = false) =>
    stream
      ? client.chat.completions
          .create({
            model: 'auto',
            messages: [{ role: 'user', content: 'hi' }],
            stream: true,
          })
          .then(async s => {
            let text = '';
            for await (const chunk of s)
              text += chunk.choices[0]?.delta?.content ?? '';
            return text;
          })
      : client.chat.completions.create({
          model: 'auto',
          messages: [{ role: 'user', content: 'hi' }],
        });
  const lastDecision = () => events.decisions().at(-1) as RoutingDecision;

  it('falls back along the chain on an outage, never to a profile outside residency', async () => {
    simulator.faults.add({
      mode: 'outage',
      model: 'eu-large-model',
      extraLatencyMs: 0,
      retryAfterSeconds: 1,
    });
    await ask();
    const decision = lastDecision();
    expect(decision.chosen).toBe('eu-small');
    expect(decision.fallbacks).toEqual([
      expect.objectContaining({
        modelProfile: 'eu-large',
        errorClass: 'upstream-unavailable',
        status: 503,
      }),
    ]);
    // us-large is in the agent's fallback chain but outside Northwind's residency.
    expect(decision.candidates).toContainEqual(
      expect.objectContaining({
        modelProfile: 'us-large',
        kept: false,
        dropReason: 'residency',
      }),
    );
  });

  it('falls back on connection resets and 429s, for streams too', async () => {
    simulator.faults.add({
      mode: 'reset',
      model: 'eu-large-model',
      extraLatencyMs: 0,
      retryAfterSeconds: 1,
      remaining: 1,
    });
    await ask();
    expect(lastDecision().fallbacks[0]).toMatchObject({
      errorClass: 'upstream-unavailable',
    });
    expect(lastDecision().chosen).toBe('eu-small');
    simulator.faults.add({
      mode: 'rate-limit',
      model: 'eu-large-model',
      extraLatencyMs: 0,
      retryAfterSeconds: 1,
      remaining: 1,
    });
    await ask(true);
    expect(lastDecision().fallbacks[0]).toMatchObject({
      errorClass: 'rate-limited',
      status: 429,
    });
    expect(lastDecision().chosen).toBe('eu-small');
  });

  it('never reaches an upstream outside residency even when every allowed one is down', async () => {
    simulator.faults.add({
      mode: 'outage',
      extraLatencyMs: 0,
      retryAfterSeconds: 1,
    });
    const error = await ask().catch(e => e);
    expect(error.status).toBe(503);
    expect(Object.keys(simulator.stats.snapshot().byModel)).not.toContain(
      'us-large-model',
    );
    expect((events.usage().at(-1) as UsageEvent).outcome).toBe('error');
  });

  it('opens the circuit after repeated failures, probes when half-open, and closes on success', async () => {
    // Fresh breaker state for this test: a new clock epoch.
    clock += 3_600_000;
    simulator.faults.add({
      mode: 'error',
      model: 'eu-large-model',
      extraLatencyMs: 0,
      retryAfterSeconds: 1,
    });
    for (let i = 0; i < 3; i++) await ask();
    const breaker = gateway.deps.health.get('eu-large').breaker;
    expect(breaker.state).toBe('open');
    simulator.stats.reset();
    await ask();
    // Open: the router drops eu-large without calling it.
    expect(lastDecision().candidates).toContainEqual(
      expect.objectContaining({
        modelProfile: 'eu-large',
        dropReason: 'circuit-open',
      }),
    );
    expect(
      simulator.stats.snapshot().byModel['eu-large-model'],
    ).toBeUndefined();
    // After openMs the breaker lets one probe through; the upstream has recovered.
    simulator.faults.clear();
    clock += 30_000;
    expect(breaker.state).toBe('half-open');
    await ask();
    expect(lastDecision().chosen).toBe('eu-large');
    expect(breaker.state).toBe('closed');
    const metrics = await gateway.deps.metrics.registry.getSingleMetricAsString(
      'cellport_gateway_circuit_state',
    );
    expect(metrics).toBeDefined();
  });

  it("counts every attempt in /metrics: the primary's failures a fallback absorbed, and the fallback's success", async () => {
    clock += 3_600_000;
    const attempts = async () => {
      const text = await gateway.deps.metrics.registry.metrics();
      const count = (model: string, outcome: string) =>
        Number(
          new RegExp(
            `^cellport_gateway_upstream_attempts_total\\{model="${model}",outcome="${outcome}"\\} (\\d+)$`,
            'm',
          ).exec(text)?.[1] ?? 0,
        );
      return {
        primaryFailed: count('eu-large', 'upstream-error'),
        primarySucceeded: count('eu-large', 'success'),
        fallbackSucceeded: count('eu-small', 'success'),
      };
    };
    const before = await attempts();
    // Fewer failures than open the circuit: the agent's primary is tried every time.
    simulator.faults.add({
      mode: 'error',
      model: 'eu-large-model',
      extraLatencyMs: 0,
      retryAfterSeconds: 1,
      remaining: 2,
    });
    await ask();
    await ask(true);
    expect(lastDecision()).toMatchObject({
      chosen: 'eu-small',
      fallbacks: [{ modelProfile: 'eu-large', errorClass: 'upstream-error' }],
    });
    await ask();
    expect(lastDecision().chosen).toBe('eu-large');
    const after = await attempts();
    expect({
      primaryFailed: after.primaryFailed - before.primaryFailed,
      primarySucceeded: after.primarySucceeded - before.primarySucceeded,
      fallbackSucceeded: after.fallbackSucceeded - before.fallbackSucceeded,
    }).toEqual({ primaryFailed: 2, primarySucceeded: 1, fallbackSucceeded: 2 });
  });

  it('reopens the circuit when the half-open probe fails', async () => {
    clock += 3_600_000;
    simulator.faults.add({
      mode: 'error',
      model: 'eu-large-model',
      extraLatencyMs: 0,
      retryAfterSeconds: 1,
    });
    for (let i = 0; i < 3; i++) await ask();
    const breaker = gateway.deps.health.get('eu-large').breaker;
    clock += 30_000;
    expect(breaker.state).toBe('half-open');
    await ask();
    expect(breaker.state).toBe('open');
  });
});
