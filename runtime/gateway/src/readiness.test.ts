import type { SimulatorServer } from '@cellport/simulator';
import { hashApiKey } from './auth/ApiKeyAuthenticator';
import {
  ADMIN_TOKEN,
  KEYS,
  startGateway,
  startSimulator,
  testState,
} from './__testUtils__/fixtures';

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

describe('/ready while the desired state is pushed', () => {
  let simulator: SimulatorServer;
  beforeAll(async () => {
    simulator = await startSimulator();
  });
  afterAll(() => simulator.stop());

  it('stays 200 while a large state is applied and while a bad one is refused', async () => {
    const { gateway, url } = await startGateway(simulator.url);
    const push = async (state: unknown) => {
      const response = await fetch(`${url}/control/state`, {
        method: 'PUT',
        headers: {
          authorization: `Bearer ${ADMIN_TOKEN}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify(state),
      });
      await response.arrayBuffer();
      return response.status;
    };
    try {
      // A cell's worth of keys: the state takes a while to parse and index.
      const large = testState(simulator.url, 'v-large');
      for (let i = 0; i < 50_000; i++) {
        large.apiKeys.push({
          sha256: hashApiKey(`cp-bulk-${i}`),
          prefix: `cp-bulk-${i}`.slice(0, 12),
          tenant: i % 2 ? 'northwind' : 'brightpath',
        });
      }
      const bad = { ...testState(simulator.url, 'v-bad'), tenants: 'none' };
      const readies: number[] = [];
      let pushing = true;
      const poller = (async () => {
        while (pushing) {
          readies.push((await fetch(`${url}/ready`)).status);
          await new Promise(resolve => setTimeout(resolve, 5));
        }
      })();
      const statuses = [await push(large), await push(bad)];
      pushing = false;
      await poller;
      expect(statuses).toEqual([200, 400]);
      expect(readies.length).toBeGreaterThan(0);
      expect(readies.filter(status => status !== 200)).toEqual([]);
      expect(await (await fetch(`${url}/ready`)).json()).toMatchObject({
        status: 'ready',
        stateVersion: 'v-large',
      });
    } finally {
      await gateway.stop();
    }
  });
});
