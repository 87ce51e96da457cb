import type { SimulatorServer } from '@cellport/simulator';
import {
  KEYS,
  postChat,
  startGateway,
  startSimulator,
  testState,
} from '../__testUtils__/fixtures';

// Real servers on a loaded machine: generous limits.
jest.setTimeout(30_000);

/**
 * A profile whose protocol cannot express a valid request (an Anthropic model and a request
 * of system messages alone) is passed over like one the router left out: the next profile
 * serves the request, and when none can, the caller hears of the outage that stopped the
 * others, not a 400 about a model it never asked for. With no other route, the 400 stands
 * (`api/badInput.test.ts`).
 */
describe('a fallback that cannot take the request, while the primary is down', () => {
  let simulator: SimulatorServer;
  beforeAll(async () => {
    simulator = await startSimulator();
  });
  afterAll(() => simulator.stop());

  it('answers 503 naming the outage, not a 400 blaming the request', async () => {
    const state = testState(simulator.url);
    state.modelProfiles.push({
      ...state.modelProfiles.find(p => p.id === 'claude')!,
      id: 'eu-claude',
      alias: 'claude-eu',
      region: 'eu-west-1',
    });
    state.tenants[0].allowedModels.push('eu-claude');
    state.agents[0].fallbackChain = ['eu-claude'];
    const { gateway, url } = await startGateway(simulator.url, { state });
    simulator.faults.add({
      mode: 'outage',
      model: 'eu-large-model',
      extraLatencyMs: 0,
      retryAfterSeconds: 1,
    });
    try {
      const response = await postChat(
        url,
        {
          model: 'auto',
          messages: [
            { role: 'system', content: 'Summarise the release notes.' },
          ],
        },
        { key: KEYS.northwindAgent },
      );
      const body = await response.json();
      expect(simulator.stats.snapshot().byModel['eu-large-model']).toBe(1);
      expect({ status: response.status, code: body.error.code }).toEqual({
        status: 503,
        code: 'upstream_unavailable',
      });
    } finally {
      simulator.faults.clear();
      await gateway.stop();
    }
  });

  it('moves on to the next upstream when only the Anthropic primary cannot take it', async () => {
    const state = testState(simulator.url);
    state.modelProfiles.push({
      ...state.modelProfiles.find(p => p.id === 'claude')!,
      id: 'eu-claude',
      alias: 'claude-eu',
      region: 'eu-west-1',
    });
    state.tenants[0].allowedModels.push('eu-claude');
    state.agents[0].preferredModels = ['eu-claude'];
    state.agents[0].fallbackChain = ['eu-small'];
    const { gateway, url } = await startGateway(simulator.url, { state });
    try {
      const response = await postChat(
        url,
        {
          model: 'auto',
          messages: [
            { role: 'system', content: 'Summarise the release notes.' },
          ],
        },
        { key: KEYS.northwindAgent },
      );
      const body = await response.json();
      // eu-small (OpenAI protocol) takes system messages alone.
      expect({ status: response.status, error: body.error }).toEqual({
        status: 200,
        error: undefined,
      });
    } finally {
      await gateway.stop();
    }
  });
});
