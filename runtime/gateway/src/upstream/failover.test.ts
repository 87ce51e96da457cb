import type { SimulatorServer } from '@cellport/simulator';
import type { RoutingDecision } from '@cellport/plugin-platform-common';
import {
  eventually,
  KEYS,
  postChat,
  startGateway,
  startSimulator,
  testState,
} from '../__testUtils__/fixtures';
import type { Gateway } from '../createGateway';

// Real servers: generous limits so a loaded CI machine does not fail them.
jest.setTimeout(30_000);

const BURST = 200;

/** Sends `count` chat requests at once with the agent's key; resolves with their statuses. */
async function burst(
  url: string,
  count = BURST,
  model = 'auto',
): Promise<number[]> {
  return Promise.all(
    Array.from({ length: count }, (_, i) =>
      postChat(
        url,
        { model, messages: [{ role: 'user', content: `burst ${i}` }] },
        { key: KEYS.northwindAgent },
      ).then(async response => {
        await response.arrayBuffer();
        return response.status;
      }),
    ),
  );
}

const served = (statuses: number[]) => statuses.filter(s => s === 200).length;

describe('failover when the primary dies under a burst', () => {
  let simulator: SimulatorServer;
  beforeAll(async () => {
    simulator = await startSimulator();
  });
  afterAll(() => simulator.stop());
  afterEach(() => {
    simulator.faults.clear();
    simulator.stats.reset();
  });

  it('serves a burst in flight at the primary from the healthy fallback when the primary host dies', async () => {
    // The primary runs on a host of its own that is slow to answer, so that every request of
    // the burst is waiting on it when it dies.
    const primaryHost = await startSimulator();
    primaryHost.faults.add({
      mode: 'slow',
      extraLatencyMs: 60_000,
      retryAfterSeconds: 1,
    });
    const state = testState(simulator.url);
    const euLarge = state.modelProfiles.find(p => p.id === 'eu-large')!;
    euLarge.endpoint = `${primaryHost.url}/v1`;
    const { gateway, url, events } = await startGateway(simulator.url, {
      state,
    });
    try {
      const answers = burst(url);
      await eventually(
        () => primaryHost.stats.snapshot().requests === BURST,
        400,
      );
      // Every connection drops at once, and the port refuses new ones from now on.
      await primaryHost.stop();
      const statuses = await answers;
      expect(served(statuses)).toBeGreaterThanOrEqual(BURST * 0.99);
      expect(simulator.stats.snapshot().byModel['eu-small-model']).toBe(
        served(statuses),
      );
      await eventually(() => events.decisions().length === BURST);
      const decision = events.decisions()[0] as RoutingDecision;
      expect(decision.chosen).toBe('eu-small');
      expect(decision.fallbacks).toEqual([
        expect.objectContaining({
          modelProfile: 'eu-large',
          errorClass: 'upstream-unavailable',
        }),
      ]);
    } finally {
      await gateway.stop();
      await primaryHost.stop().catch(() => undefined);
    }
  });

  it('serves a burst from the healthy fallback when the primary starts answering 503', async () => {
    const { gateway, url, events } = await startGateway(simulator.url);
    try {
      // The primary serves until the moment it dies.
      expect(await burst(url, 1)).toEqual([200]);
      expect((events.decisions()[0] as RoutingDecision).chosen).toBe(
        'eu-large',
      );
      simulator.faults.add({
        mode: 'outage',
        model: 'eu-large-model',
        extraLatencyMs: 0,
        retryAfterSeconds: 1,
      });
      const statuses = await burst(url);
      expect(served(statuses)).toBeGreaterThanOrEqual(BURST * 0.99);
    } finally {
      await gateway.stop();
    }
  });

  it.each<[string, (endpoint: string) => string, 'anthropic' | undefined]>([
    ['the same endpoint', endpoint => endpoint, undefined],
    [
      'the endpoint with a trailing slash',
      endpoint => `${endpoint}/`,
      undefined,
    ],
    [
      'the endpoint with its scheme in upper case',
      endpoint => endpoint.replace('http://', 'HTTP://'),
      undefined,
    ],
    [
      'an Anthropic base without /v1, where both call /v1/messages',
      endpoint => endpoint.replace(/\/v1$/, ''),
      'anthropic',
    ],
  ])(
    'still bounds retries of one upstream: two profiles on one deployment share its failures (%s)',
    async (_spelling, spell, provider) => {
      const state = testState(simulator.url);
      const euLarge = state.modelProfiles.find(p => p.id === 'eu-large')!;
      if (provider) euLarge.provider = provider;
      // A second profile on the same deployment (same upstream model, the endpoint as spelled).
      state.modelProfiles.push({
        ...euLarge,
        id: 'eu-large-twin',
        endpoint: spell(euLarge.endpoint),
      });
      state.tenants[0].allowedModels.push('eu-large-twin');
      state.agents[0].fallbackChain = ['eu-large-twin', 'eu-small'];
      // Breakers that never open, so only the retry budget stands between the dead deployment
      // and a second call from every request.
      const { gateway, url } = await startGateway(simulator.url, {
        state,
        overrides: { breaker: { failureThreshold: 1_000_000, openMs: 60_000 } },
      });
      try {
        simulator.faults.add({
          mode: 'outage',
          model: 'eu-large-model',
          extraLatencyMs: 0,
          retryAfterSeconds: 1,
        });
        const statuses = await burst(url);
        const calls = simulator.stats.snapshot().byModel;
        // One call per request, plus retries within the budget: a reserve of 20 and 0.2 a request.
        expect(calls['eu-large-model']).toBeLessThanOrEqual(
          BURST + 20 + BURST * 0.2,
        );
        // Failover to the other upstream is not held back by the retry budget.
        expect(served(statuses)).toBeGreaterThanOrEqual(BURST * 0.99);
        expect(calls['eu-small-model']).toBeLessThanOrEqual(BURST);
      } finally {
        await gateway.stop();
      }
    },
  );

  it('makes one call per request to each upstream, and none past open circuits, when all are down', async () => {
    const { gateway, url } = await startGateway(simulator.url, {
      overrides: { breaker: { failureThreshold: 5, openMs: 60_000 } },
    });
    try {
      simulator.faults.add({
        mode: 'outage',
        extraLatencyMs: 0,
        retryAfterSeconds: 1,
      });
      const first = await burst(url);
      expect(served(first)).toBe(0);
      const calls = simulator.stats.snapshot().byModel;
      expect(calls['eu-large-model']).toBeLessThanOrEqual(BURST);
      expect(calls['eu-small-model']).toBeLessThanOrEqual(BURST);
      expect(gateway.deps.health.get('eu-large').breaker.state).toBe('open');
      expect(gateway.deps.health.get('eu-small').breaker.state).toBe('open');
      simulator.stats.reset();
      const second = await burst(url);
      expect(new Set(second)).toEqual(new Set([503]));
      expect(simulator.stats.snapshot().requests).toBe(0);
    } finally {
      await gateway.stop();
    }
  });
});

describe('half-open circuits', () => {
  let simulator: SimulatorServer;
  let gateway: Gateway;
  let url: string;
  let clock = Date.now();
  const openMs = 30_000;

  beforeAll(async () => {
    simulator = await startSimulator();
    ({ gateway, url } = await startGateway(simulator.url, {
      overrides: { now: () => clock, breaker: { failureThreshold: 3, openMs } },
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

  /** Opens a profile's circuit with real failures, from a fresh clock epoch. */
  async function openCircuit(profile: 'eu-large' | 'eu-small') {
    clock += 3_600_000;
    simulator.faults.add({
      mode: 'error',
      model: `${profile}-model`,
      extraLatencyMs: 0,
      retryAfterSeconds: 1,
    });
    const model = profile === 'eu-large' ? 'gpt-4o' : 'gpt-4o-mini';
    for (let i = 0; i < 3; i++) await burst(url, 1, model);
    simulator.faults.clear();
    const breaker = gateway.deps.health.get(profile).breaker;
    expect(breaker.state).toBe('open');
    return breaker;
  }

  const circuitGauge = async (profile: string) =>
    (await fetch(`${url}/metrics`).then(r => r.text()))
      .split('\n')
      .find(line =>
        line.startsWith(
          `cellport_gateway_circuit_state{model="${profile}",state="closed"}`,
        ),
      );

  it('closes a fallback circuit that went half-open with no traffic, so a burst finds it open for business', async () => {
    const breaker = await openCircuit('eu-small');
    clock += openMs;
    expect(breaker.state).toBe('half-open');
    // Nothing reaches the fallback while the primary is healthy.
    clock += openMs;
    expect(breaker.state).toBe('closed');
    expect(await circuitGauge('eu-small')).toBe(
      'cellport_gateway_circuit_state{model="eu-small",state="closed"} 1',
    );
    // Then the primary dies under a burst: the fallback takes all of it, not one probe.
    simulator.faults.add({
      mode: 'outage',
      model: 'eu-large-model',
      extraLatencyMs: 0,
      retryAfterSeconds: 1,
    });
    const statuses = await burst(url);
    expect(served(statuses)).toBeGreaterThanOrEqual(BURST * 0.99);
  });

  it('frees a probe slot whose request never reported, across a state push', async () => {
    const breaker = await openCircuit('eu-large');
    clock += openMs;
    // A probe goes out and its request is never heard of again.
    expect(breaker.tryAcquire()).toBeGreaterThanOrEqual(0);
    const push = await fetch(`${url}/control/state`, {
      method: 'PUT',
      headers: {
        authorization: 'Bearer test-admin-token',
        'content-type': 'application/json',
      },
      body: JSON.stringify(testState(simulator.url, 'v2')),
    });
    expect(push.status).toBe(200);
    // gpt-4o without an agent has no other upstream in Northwind's region.
    const refused = await postChat(url, {
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(refused.status).toBe(503);
    // One openMs later the lost probe's slot is free, and the next request closes the circuit.
    clock += openMs;
    const answered = await postChat(url, {
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(answered.status).toBe(200);
    expect(breaker.state).toBe('closed');
  });

  it('releases the probe when the request that took it is malformed', async () => {
    const breaker = await openCircuit('eu-large');
    clock += openMs;
    // Passes the gateway's checks or not; either way it says nothing about the upstream.
    const malformed = await postChat(url, {
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'hi' }],
      seed: 1.5,
    });
    expect(malformed.status).toBe(400);
    expect((await malformed.json()).error.message).toEqual(expect.any(String));
    expect(breaker.refusesCalls()).toBe(false);
    const answered = await postChat(url, {
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(answered.status).toBe(200);
    expect(breaker.state).toBe('closed');
  });
});
