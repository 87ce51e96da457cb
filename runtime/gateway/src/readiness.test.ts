import type { SimulatorServer } from '@cellport/simulator';
import { KEYS, startGateway, startSimulator } from './__testUtils__/fixtures';

// Real servers: generous limits so a loaded CI machine does not fail them.
jest.setTimeout(30_000);

describe('/ready in a provider outage', () => {
  let simulator: SimulatorServer;
  beforeAll(async () => {
    simulator = await startSimulator();
  });
  afterAll(() => simulator.stop());

  it('stays 200 while every circuit is open, and callers get a clear 503', async () => {
    const { gateway, url } = await startGateway(simulator.url, {
      overrides: { breaker: { failureThreshold: 1, openMs: 60_000 } },
    });
    simulator.faults.add({
      mode: 'outage',
      extraLatencyMs: 0,
      retryAfterSeconds: 1,
    });
    const ask = (key: string, model: string) =>
      fetch(`${url}/v1/chat/completions`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${key}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify({
          model,
          messages: [{ role: 'user', content: 'anyone there?' }],
        }),
      });
    try {
      // Every chat profile fails once and opens.
      for (const [key, model] of [
        [KEYS.northwind, 'gpt-4o'],
        [KEYS.northwind, 'gpt-4o-mini'],
        [KEYS.brightpath, 'gpt-4o'],
        [KEYS.brightpath, 'gpt-4o-mini'],
        [KEYS.brightpath, 'claude-haiku'],
      ]) {
        await (await ask(key, model)).arrayBuffer();
      }
      const states = gateway.deps.health.states();
      expect(states.length).toBeGreaterThanOrEqual(5);
      expect(states.every(s => s.state === 'open')).toBe(true);

      const ready = await fetch(`${url}/ready`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toEqual({
        status: 'ready',
        stateLoaded: true,
        stateVersion: 'v1',
        draining: false,
      });

      const refused = await ask(KEYS.northwind, 'gpt-4o');
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
      const body = await refused.json();
      expect(body.error).toMatchObject({ type: expect.any(String) });
      expect(body.error.message).toMatch(/circuit/);
      // The outage is visible where it belongs: in the metrics.
      const metrics = await (await fetch(`${url}/metrics`)).text();
      expect(metrics).toContain(
        'cellport_gateway_circuit_state{model="eu-large",state="open"} 1',
      );
      expect(metrics).toContain(
        'cellport_gateway_circuit_state{model="eu-large",state="closed"} 0',
      );
    } finally {
      simulator.faults.clear();
      await gateway.stop();
    }
  });
});
