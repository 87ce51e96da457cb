/**
 * The prompt cache and refusals: an upstream's error is never kept as an answer, and a hit is
 * served although the route would refuse the request for reasons that concern only a call to
 * the upstream (README: a hit calls no upstream, and the budget does not stand in its way):
 * the one profile that answered has its circuit open, or an agent's per-run cost cap drops it.
 * A gateway in process against the simulator, its events recorded.
 */
import type { SimulatorServer } from '@cellport/simulator';
import type {
  GatewayDesiredState,
  RoutingDecision,
} from '@cellport/plugin-platform-common';
import { hashApiKey } from '../auth/ApiKeyAuthenticator';
import {
  eventually,
  KEYS,
  RecordingEventSink,
  startGateway,
  startSimulator,
  testState,
} from '../__testUtils__/fixtures';
import { askCached } from '../__testUtils__/gatewayCalls';
import type { Gateway } from '../createGateway';

// Real servers: generous limits so a loaded CI machine does not fail them.
jest.setTimeout(60_000);

const CAPPED_AGENT_KEY = 'cp-test-capped-agent-0001';

/** The test state and bp-capped, an agent of Brightpath's with a per-run cost cap. */
function withCappedAgent(simulatorUrl: string): GatewayDesiredState {
  const state = testState(simulatorUrl);
  state.apiKeys.push({
    sha256: hashApiKey(CAPPED_AGENT_KEY),
    prefix: 'cp-test-capa',
    tenant: 'brightpath',
    agent: 'bp-capped',
  });
  state.agents.push({
    id: 'bp-capped',
    tenant: 'brightpath',
    policy: 'balanced',
    preferredModels: [],
    fallbackChain: [],
    maxFallbacks: 0,
    requiredCapabilities: [],
    // Far below what a request asking for 2,000 output tokens from us-large may cost.
    maxCostPerRunUsd: 0.001,
  });
  return state;
}

describe('the prompt cache and refusals', () => {
  let simulator: SimulatorServer;
  let gateway: Gateway;
  let events: RecordingEventSink;
  let url: string;

  beforeAll(async () => {
    simulator = await startSimulator();
    ({ gateway, url, events } = await startGateway(simulator.url, {
      state: withCappedAgent(simulator.url),
      config: {
        cache: { enabled: true, ttlSeconds: 60, maxBytes: 4 * 1024 * 1024 },
      },
    }));
  });
  afterAll(async () => {
    await gateway.stop();
    await simulator.stop();
  });
  afterEach(() => {
    events.events.length = 0;
  });

  it('never keeps an upstream error as an answer', async () => {
    const body = {
      model: 'gpt-4o-mini',
      max_tokens: 5,
      messages: [{ role: 'user', content: 'error probe' }],
    };
    // us-small is Brightpath's only gpt-4o-mini: one failure does not open its circuit.
    simulator.catalog.update('us-small-model', { errorRate: 1 });
    try {
      const failed = await askCached(url, KEYS.brightpath, body);
      expect(failed.status).toBeGreaterThanOrEqual(500);
    } finally {
      simulator.catalog.update('us-small-model', { errorRate: 0 });
    }
    const retried = await askCached(url, KEYS.brightpath, body);
    expect({ status: retried.status, cache: retried.cache }).toEqual({
      status: 200,
      cache: null,
    });
  });

  it('serves a hit when the only profile that answered has its circuit open', async () => {
    const body = {
      model: 'us-small',
      messages: [
        { role: 'user', content: 'only one route, then it goes down' },
      ],
    };
    const first = await askCached(url, KEYS.brightpath, body);
    expect(first.status).toBe(200);
    expect((await askCached(url, KEYS.brightpath, body)).cache).toBe('hit');
    // Left open: no later test of this block routes to us-small.
    const breaker = gateway.deps.health.get('us-small').breaker;
    while (breaker.state !== 'open') {
      breaker.tryAcquire();
      breaker.onFailure();
    }
    const repeat = await askCached(url, KEYS.brightpath, body);
    expect({ status: repeat.status, cache: repeat.cache }).toEqual({
      status: 200,
      cache: 'hit',
    });
    expect(repeat.text).toBe(first.text);
  });

  it("serves a hit to an agent whose per-run cost cap drops the profile that answered, the tenant's cached answer", async () => {
    const body = {
      model: 'us-large',
      max_tokens: 2000,
      messages: [{ role: 'user', content: 'expensive question, cached' }],
    };
    expect((await askCached(url, KEYS.brightpath, body)).status).toBe(200);
    expect((await askCached(url, KEYS.brightpath, body)).cache).toBe('hit');
    const capped = await askCached(url, CAPPED_AGENT_KEY, body);
    const agentsDecision = () =>
      (events.decisions() as RoutingDecision[]).find(
        d => d.agent === 'bp-capped',
      );
    await eventually(() => agentsDecision() !== undefined);
    // The route drops us-large for the budget alone: without the cache, a refusal.
    expect(
      agentsDecision()!.candidates.map(c => [
        c.modelProfile,
        c.kept,
        c.dropReason,
      ]),
    ).toEqual([['us-large', false, 'budget']]);
    expect({ status: capped.status, cache: capped.cache }).toEqual({
      status: 200,
      cache: 'hit',
    });
  });
});
