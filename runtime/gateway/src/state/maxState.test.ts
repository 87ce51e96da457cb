/**
 * The control API takes any state within the counts the README allows (10,000 tenants,
 * 100,000 keys, 1,000 profiles, 50,000 agents) with ids of ordinary catalog length and
 * allowlists of twenty profiles: tens of megabytes of JSON, within the 64 MiB a push may
 * carry, so taken and not refused 413. A gateway in process takes the push and serves one of
 * its keys (`hostileState.test.ts` takes a large state of tenants and keys alone).
 */
import type { SimulatorServer } from '@cellport/simulator';
import type { GatewayDesiredState } from '@cellport/plugin-platform-common';
import { hashApiKey } from '../auth/ApiKeyAuthenticator';
import {
  postChat,
  startGateway,
  startSimulator,
  testState,
} from '../__testUtils__/fixtures';
import { pushState } from '../__testUtils__/gatewayCalls';

// A state of tens of megabytes built, validated twice and pushed.
jest.setTimeout(120_000);

/**
 * The test state grown to the README's maxima, with ids of about 20 characters (far under
 * the 63 an entity name may have); every key past the test state's is bound to an agent.
 */
function stateAtDocumentedMaxima(simulatorUrl: string): GatewayDesiredState {
  const state = testState(simulatorUrl, 'v-max');
  const base = state.modelProfiles[3];
  const pid = (i: number) => `gpt-4o-mini-2024-${String(i).padStart(4, '0')}`;
  const tid = (i: number) => `tenant-retail-${String(i).padStart(5, '0')}`;
  const aid = (i: number) => `agent-checkout-${String(i).padStart(5, '0')}`;
  /** The tenant of agent `i`: tenants 0 and 1 are the test state's own. */
  const tenantOf = (i: number) => 2 + (i % 9_998);
  for (let i = state.modelProfiles.length; i < 1_000; i++) {
    state.modelProfiles.push({
      ...base,
      id: pid(i),
      alias: `model-alias-${i % 100}`,
    });
  }
  for (let i = state.tenants.length; i < 10_000; i++) {
    state.tenants.push({
      ...state.tenants[1],
      id: tid(i),
      allowedModels: Array.from({ length: 20 }, (_, j) =>
        pid(10 + ((i + j * 37) % 990)),
      ),
    });
  }
  for (let i = state.agents.length; i < 50_000; i++) {
    const tenant = tenantOf(i);
    state.agents.push({
      id: aid(i),
      tenant: tid(tenant),
      policy: 'balanced',
      preferredModels: [
        pid(10 + (tenant % 990)),
        pid(10 + ((tenant + 37) % 990)),
      ],
      fallbackChain: [pid(10 + ((tenant + 74) % 990))],
      maxFallbacks: 1,
      requiredCapabilities: [],
      monthlyBudgetUsd: 100,
    });
  }
  for (let i = state.apiKeys.length; i < 100_000; i++) {
    // Agent 0 is the test state's nw-assistant: its share of keys goes to agent 1.
    const agent = Math.max(1, i % 50_000);
    state.apiKeys.push({
      sha256: hashApiKey(`k-${i}`),
      prefix: 'cp-live-ab12',
      tenant: tid(tenantOf(agent)),
      agent: aid(agent),
    });
  }
  return state;
}

describe('a state at the documented maxima', () => {
  let simulator: SimulatorServer;
  beforeAll(async () => {
    simulator = await startSimulator();
  });
  afterAll(() => simulator.stop());

  it('is taken by a push, not refused as too large, and its keys are served', async () => {
    const { gateway, url } = await startGateway(simulator.url);
    try {
      const state = stateAtDocumentedMaxima(simulator.url);
      // Valid by the contract itself, counts and every field within bounds: only the push
      // could refuse it.
      expect(() => gateway.deps.state.apply(state)).not.toThrow();
      gateway.deps.state.apply(testState(simulator.url, 'v1'));
      const push = await pushState(url, state);
      expect({
        status: push.status,
        answer: (await push.text()).slice(0, 200),
      }).toEqual({
        status: 200,
        answer: '{"version":"v-max","changed":true}',
      });
      const served = await postChat(
        url,
        { model: 'auto', messages: [{ role: 'user', content: 'hi' }] },
        { key: 'k-99999' },
      );
      expect(served.status).toBe(200);
      await served.text();
    } finally {
      await gateway.stop();
    }
  });
});
