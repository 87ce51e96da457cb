import type { GatewayDesiredState } from '@cellport/plugin-platform-common';
import type { SimulatorServer } from '@cellport/simulator';
import {
  ADMIN_TOKEN,
  postChat,
  startGateway,
  startSimulator,
  testState,
} from '../__testUtils__/fixtures';
import type { Gateway } from '../createGateway';

// Real servers: generous limits so a loaded CI machine does not fail them.
jest.setTimeout(30_000);

type Edit = (state: any) => void;

/**
 * Hand-edited states the control API must refuse, naming the field: each would otherwise be
 * taken with a field dropped (an expiry, a cap), leak a secret, or lose every event.
 */
const HOSTILE: Array<[string, Edit, string]> = [
  [
    'a misspelt expiry (the key would never expire)',
    state => (state.apiKeys[0].expires_at = '2020-01-01T00:00:00Z'),
    'apiKeys.0',
  ],
  [
    "a misspelt agent cap (the agent's runs would be unbounded)",
    state => (state.agents[0].maxCostPerRunUSD = 0.01),
    'agents.0',
  ],
  ['a field the state does not have', state => (state.extra = true), 'extra'],
  [
    "a credential named after the gateway's admin token",
    state => (state.modelProfiles[0].credentialEnv = 'GATEWAY_ADMIN_TOKEN'),
    'modelProfiles.0.credentialEnv',
  ],
  [
    'a version the portal cannot store (every event would be refused)',
    state => (state.version = 'v\u0000nul'),
    'version',
  ],
  [
    'a budget beyond any tenant',
    state => (state.tenants[0].monthlyBudgetUsd = 1e300),
    'tenants.0.monthlyBudgetUsd',
  ],
  [
    'a price beyond any model',
    state => (state.modelProfiles[0].inputPerMillionUsd = 1e20),
    'modelProfiles.0.inputPerMillionUsd',
  ],
  [
    'an endpoint that is not HTTP',
    state => (state.modelProfiles[0].endpoint = 'ftp://models.example/v1'),
    'modelProfiles.0.endpoint',
  ],
  [
    "an alias that is the router's auto",
    state => (state.modelProfiles[0].alias = 'auto'),
    'modelProfiles.0.alias',
  ],
  [
    'a fallback chain that names a profile twice',
    state => {
      const profile = state.agents[0].fallbackChain[0];
      state.agents[0].fallbackChain = [profile, profile];
    },
    'agents.0.fallbackChain',
  ],
  [
    'an allowlist that names a profile twice (it would crowd out the healthy fallbacks)',
    state => {
      const profile = state.tenants[0].allowedModels[0];
      state.tenants[0].allowedModels.push(profile, profile);
    },
    'tenants.0.allowedModels',
  ],
];

describe('the control API refuses hand-edited states by field, and keeps serving the one in force', () => {
  let simulator: SimulatorServer;
  let gateway: Gateway;
  let url: string;

  beforeAll(async () => {
    simulator = await startSimulator();
    ({ gateway, url } = await startGateway(simulator.url));
  });
  afterAll(async () => {
    await gateway.stop();
    await simulator.stop();
  });

  it.each(HOSTILE)('%s', async (_what, edit, field) => {
    const state: GatewayDesiredState = testState(simulator.url);
    state.version = 'hostile';
    edit(state);
    const push = await fetch(`${url}/control/state`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      body: JSON.stringify(state),
    });
    const answer = await push.text();
    expect({ status: push.status, answer }).toEqual({
      status: 400,
      answer: expect.stringContaining(field),
    });
    expect(gateway.deps.state.current!.version).toBe('v1');
    const served = await postChat(url, {
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(served.status).toBe(200);
  });
});
