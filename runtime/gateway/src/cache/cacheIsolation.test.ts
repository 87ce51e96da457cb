/**
 * A cached answer goes only to the caller it was for: the same tenant asking the same
 * question. Another tenant with the same policy, models and body misses; so does any field
 * that changes the answer; and a tenant whose policy has the cache off never gets a hit, even
 * for bytes another tenant cached. A gateway in process against the simulator, whose request
 * count shows what reached the upstream.
 */
import type { SimulatorServer } from '@cellport/simulator';
import type { GatewayDesiredState } from '@cellport/plugin-platform-common';
import { hashApiKey } from '../auth/ApiKeyAuthenticator';
import {
  KEYS,
  startGateway,
  startSimulator,
  testState,
} from '../__testUtils__/fixtures';
import { askCached } from '../__testUtils__/gatewayCalls';
import type { Gateway } from '../createGateway';

// Real servers: generous limits so a loaded CI machine does not fail them.
jest.setTimeout(60_000);

const OTHER_TENANT_KEY = 'cp-test-otherco-0001';

/** The test state and Otherco: Brightpath's twin in all but its id and key. */
function withTwinTenant(simulatorUrl: string): GatewayDesiredState {
  const state = testState(simulatorUrl);
  const brightpath = state.tenants.find(t => t.id === 'brightpath')!;
  state.tenants.push({
    ...brightpath,
    id: 'otherco',
    allowedModels: [...brightpath.allowedModels],
    residencyRegions: [],
  });
  state.apiKeys.push({
    sha256: hashApiKey(OTHER_TENANT_KEY),
    prefix: 'cp-test-othr',
    tenant: 'otherco',
  });
  return state;
}

describe('who may get a cached answer', () => {
  let simulator: SimulatorServer;
  let gateway: Gateway;
  let url: string;

  beforeAll(async () => {
    simulator = await startSimulator();
    ({ gateway, url } = await startGateway(simulator.url, {
      state: withTwinTenant(simulator.url),
      config: {
        cache: { enabled: true, ttlSeconds: 60, maxBytes: 4 * 1024 * 1024 },
      },
    }));
  });
  afterAll(async () => {
    await gateway.stop();
    await simulator.stop();
  });
  afterEach(() => simulator.stats.reset());

  it('never gives one tenant the answer cached for another, same body, same model, same policy', async () => {
    const body = {
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'tenant isolation probe' }],
    };
    expect((await askCached(url, KEYS.brightpath, body)).status).toBe(200);
    expect((await askCached(url, KEYS.brightpath, body)).cache).toBe('hit');
    const other = await askCached(url, OTHER_TENANT_KEY, body);
    expect({ status: other.status, cache: other.cache }).toEqual({
      status: 200,
      cache: null,
    });
    expect(simulator.stats.snapshot().requests).toBe(2);
  });

  it('misses on every field that changes the answer: temperature, top_p, seed, n, stop, max_tokens, logprobs, tools, tool_choice, response_format, system prompt', async () => {
    const base = {
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'vary me' }],
    };
    const tool = {
      type: 'function',
      function: { name: 'f', parameters: { type: 'object' } },
    };
    const variants: Array<Record<string, unknown>> = [
      {},
      { temperature: 0.1 },
      { top_p: 0.5 },
      { seed: 7 },
      { n: 2 },
      { stop: ['x'] },
      { max_tokens: 7 },
      { logprobs: true },
      { tools: [tool] },
      { tools: [tool], tool_choice: 'required' },
      { response_format: { type: 'json_object' } },
      {
        messages: [
          { role: 'system', content: 'be terse' },
          { role: 'user', content: 'vary me' },
        ],
      },
    ];
    const hits: string[] = [];
    for (const variant of variants) {
      const answer = await askCached(url, KEYS.brightpath, {
        ...base,
        ...variant,
      });
      expect(answer.status).toBe(200);
      if (answer.cache === 'hit') hits.push(JSON.stringify(variant));
    }
    expect(hits).toEqual([]);
    expect(simulator.stats.snapshot().requests).toBe(variants.length);
  });

  it('never serves a tenant whose policy has the cache off, even the bytes another tenant cached', async () => {
    // gpt-4o is us-large for Brightpath and eu-large for Northwind (promptCache: false).
    const body = {
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'policy off probe' }],
    };
    expect((await askCached(url, KEYS.brightpath, body)).status).toBe(200);
    expect((await askCached(url, KEYS.brightpath, body)).cache).toBe('hit');
    const northwind = [
      await askCached(url, KEYS.northwind, body),
      await askCached(url, KEYS.northwind, body),
    ];
    expect(northwind.map(r => [r.status, r.cache])).toEqual([
      [200, null],
      [200, null],
    ]);
    expect(simulator.stats.snapshot().requests).toBe(3);
  });
});
