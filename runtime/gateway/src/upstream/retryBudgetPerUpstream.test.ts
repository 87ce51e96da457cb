import type { SimulatorServer } from '@cellport/simulator';
import {
  KEYS,
  postChat,
  startGateway,
  startSimulator,
  testState,
} from '../__testUtils__/fixtures';

// Real servers on a loaded machine: generous limits.
jest.setTimeout(60_000);

/**
 * The retry budget is kept per upstream, as Envoy keeps one per cluster: retries to a dead
 * deployment are a share (20%) of the calls that reach it. With one bucket for the whole
 * gateway, healthy traffic elsewhere kept it full and every request to the dead deployment was
 * retried on it (through a second profile of the same deployment), doubling its load.
 */
describe('the retry budget while other upstreams are healthy', () => {
  let simulator: SimulatorServer;
  beforeAll(async () => {
    simulator = await startSimulator();
  });
  afterAll(() => simulator.stop());

  it('retries at most ~20% of the requests that reach a dead deployment', async () => {
    const state = testState(simulator.url);
    const euLarge = state.modelProfiles.find(p => p.id === 'eu-large')!;
    // A second profile on the same deployment (same endpoint and upstream model).
    state.modelProfiles.push({ ...euLarge, id: 'eu-large-twin' });
    state.tenants[0].allowedModels.push('eu-large-twin');
    state.agents[0].fallbackChain = ['eu-large-twin', 'eu-small'];
    // Breakers that never open, so only the retry budget stands between the dead deployment
    // and a second call from every request (as in failover.test.ts).
    const { gateway, url } = await startGateway(simulator.url, {
      state,
      overrides: { breaker: { failureThreshold: 1_000_000, openMs: 60_000 } },
    });
    simulator.faults.add({
      mode: 'outage',
      model: 'eu-large-model',
      extraLatencyMs: 0,
      retryAfterSeconds: 1,
    });
    const ask = (key: string, model: string) =>
      postChat(
        url,
        { model, messages: [{ role: 'user', content: 'hi' }] },
        { key },
      ).then(async r => {
        await r.arrayBuffer();
        return r.status;
      });
    const ROUNDS = 100;
    try {
      for (let round = 0; round < ROUNDS; round++) {
        // Other tenants' traffic to a healthy upstream (eu-small, no agent).
        await Promise.all(
          Array.from({ length: 5 }, () => ask(KEYS.northwind, 'gpt-4o-mini')),
        );
        // One request whose route starts on the dead deployment.
        expect(await ask(KEYS.northwindAgent, 'auto')).toBe(200);
      }
      const deadCalls = simulator.stats.snapshot().byModel['eu-large-model'];
      // One call per request plus retries within a 20% budget (and the reserve of 20).
      expect(deadCalls).toBeLessThanOrEqual(ROUNDS + 20 + ROUNDS * 0.2);
    } finally {
      simulator.faults.clear();
      await gateway.stop();
    }
  });
});
