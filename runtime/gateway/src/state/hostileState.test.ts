import {
  GatewayDesiredState,
  gatewayDesiredStateSchema,
} from '@cellport/plugin-platform-common';
import type { SimulatorServer } from '@cellport/simulator';
import { hashApiKey } from '../auth/ApiKeyAuthenticator';
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
    'an upstream model with a NUL (every request to it would be refused upstream)',
    state => (state.modelProfiles[0].upstreamModel = 'gpt-4o\u0000mini'),
    'modelProfiles.0.upstreamModel',
  ],
  [
    'a region name of 10,000 characters (a label on every metric and event)',
    state => (state.modelProfiles[0].region = `eu-${'x'.repeat(10_000)}`),
    'modelProfiles.0.region',
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
  ['tenants of the wrong type', s => (s.tenants = 'all'), 'tenants'],
  [
    'a budget as a string',
    s => (s.tenants[0].monthlyBudgetUsd = '100'),
    'tenants.0.monthlyBudgetUsd',
  ],
  [
    'a negative budget',
    s => (s.tenants[1].monthlyBudgetUsd = -1),
    'tenants.1.monthlyBudgetUsd',
  ],
  [
    'a zero budget',
    s => (s.tenants[1].monthlyBudgetUsd = 0),
    'tenants.1.monthlyBudgetUsd',
  ],
  // JSON cannot carry NaN: JSON.stringify writes null.
  [
    'a NaN budget (null on the wire)',
    s => (s.tenants[0].monthlyBudgetUsd = NaN),
    'tenants.0.monthlyBudgetUsd',
  ],
  [
    'a fractional RPM limit',
    s => (s.tenants[0].limits.requestsPerMinute = 1.5),
    'tenants.0.limits.requestsPerMinute',
  ],
  [
    'a negative agent budget',
    s => (s.agents[0].monthlyBudgetUsd = -5),
    'agents.0.monthlyBudgetUsd',
  ],
  [
    'one key hash under two tenants',
    s =>
      s.apiKeys.push({ ...s.apiKeys[0], tenant: 'brightpath', prefix: 'dupe' }),
    'apiKeys',
  ],
  [
    'an agent of a tenant that does not exist',
    s => (s.agents[0].tenant = 'ghost-co'),
    'agents.0.tenant',
  ],
  [
    'a key of an agent of another tenant',
    s => (s.apiKeys[2].agent = 'nw-assistant'),
    'apiKeys.2.agent',
  ],
  [
    'a duplicate tenant id',
    s => s.tenants.push({ ...s.tenants[0] }),
    'tenants',
  ],
  [
    'a tenant id with a control character',
    s => (s.tenants[1].id = 'bright\u0007path'),
    'tenants.1.id',
  ],
  [
    'a tenant id in Cyrillic look-alikes',
    s => (s.tenants[1].id = 'brightрath'),
    'tenants.1.id',
  ],
  [
    'an expiry that is not a date',
    s => (s.apiKeys[3].expiresAt = 'next tuesday'),
    'apiKeys.3.expiresAt',
  ],
  [
    'an expiry on 31 February',
    s => (s.apiKeys[3].expiresAt = '2030-02-31T00:00:00Z'),
    'apiKeys.3.expiresAt',
  ],
  [
    'an expiry as epoch millis',
    s => (s.apiKeys[3].expiresAt = 1893456000000),
    'apiKeys.3.expiresAt',
  ],
  [
    'an upper-case key hash',
    s => (s.apiKeys[0].sha256 = s.apiKeys[0].sha256.toUpperCase()),
    'apiKeys.0.sha256',
  ],
  [
    'a schema version from the future',
    s => (s.schemaVersion = 2),
    'schemaVersion',
  ],
  ['an empty version', s => (s.version = ''), 'version'],
  ['a version with a lone surrogate', s => (s.version = 'v\ud800'), 'version'],
  [
    "an unknown field inside a tenant's limits (dropped, a limit the caller meant would not hold)",
    s => (s.tenants[0].limits.requestsPerDay = 10),
    'tenants.0.limits',
  ],
  [
    "an unknown field inside an agent's limits",
    s =>
      (s.agents[0].limits = {
        requestsPerMinute: 5,
        tokensPerMinute: 100,
        concurrency: 1,
      }),
    'agents.0.limits',
  ],
  [
    'an alias no request can name (a NUL character)',
    s => (s.modelProfiles[0].alias = 'gpt-4o\u0000eu'),
    'modelProfiles.0.alias',
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

  const put = (body: string, token = ADMIN_TOKEN) =>
    fetch(`${url}/control/state`, {
      method: 'PUT',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
      },
      body,
    });

  /** The document in force is v1's, whole, not a partly applied push; and it serves. */
  const stillServingV1 = async () => {
    expect(gateway.deps.state.current!.version).toBe('v1');
    expect(gateway.deps.state.current!.document).toEqual(
      // The document in force is v1's, not a partly-applied push.
      gatewayDesiredStateSchema.parse(testState(simulator.url, 'v1')),
    );
    const served = await postChat(url, {
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(served.status).toBe(200);
  };

  it.each(HOSTILE)('%s', async (_what, edit, field) => {
    const state: GatewayDesiredState = testState(simulator.url);
    state.version = 'hostile';
    edit(state);
    const push = await put(JSON.stringify(state));
    const answer = await push.text();
    expect({ status: push.status, answer }).toEqual({
      status: 400,
      answer: expect.stringContaining(field),
    });
    await stillServingV1();
  });

  it.each([
    ['an array', '[]'],
    ['not JSON', '{"schemaVersion":1,'],
    ['null', 'null'],
    ['a string', '"state"'],
    [
      'deeply nested JSON',
      `{"extra":${'['.repeat(100_000)}${']'.repeat(100_000)}}`,
    ],
    ['a __proto__ key', '{"__proto__":{"tenants":[]},"schemaVersion":1}'],
  ])('a body that is %s is 400, never 500', async (_what, body) => {
    const push = await put(body);
    expect(push.status).toBe(400);
    await push.text();
    await stillServingV1();
  });

  // As a tenant's allowlist names its entry (`tenants.0.allowedModels.4`).
  it('names the agent list and index of a profile that does not exist', async () => {
    const state = testState(simulator.url, 'hostile-agent');
    state.agents[0].fallbackChain = ['eu-small', 'ghost'];
    state.agents[0].preferredModels = ['phantom'];
    const push = await put(JSON.stringify(state));
    const body = await push.json();
    expect(push.status).toBe(400);
    expect(body.error.issues).toEqual(
      expect.arrayContaining([
        'agents.0.fallbackChain.1: unknown model profile "ghost"',
        'agents.0.preferredModels.0: unknown model profile "phantom"',
      ]),
    );
    await stillServingV1();
  });

  // Before: 20,000 empty tenants got 140,000 issues in one answer, and a push of a million
  // (2.9 MB, where 32 MiB is allowed) ran the process out of memory.
  it('answers a push of many bad entries with a bounded list of issues and their count', async () => {
    const entries = (count: number) =>
      `{"schemaVersion":1,"version":"big","cell":"c","apiKeys":[],"modelProfiles":[],"agents":[],"tenants":[${Array(
        count,
      )
        .fill('{}')
        .join(',')}]}`;
    const many = await put(entries(5_000));
    expect(many.status).toBe(400);
    const { error } = await many.json();
    expect(error.issues[0]).toMatch(/^tenants\.0\./);
    expect(error.issues).toHaveLength(100);
    expect(error.issueCount).toBeGreaterThan(5_000);
    // Over the most a state holds: refused as one issue, before any entry is read.
    const tooMany = await put(entries(1_000_000));
    expect(tooMany.status).toBe(400);
    expect((await tooMany.json()).error.issues).toEqual([
      expect.stringMatching(/^tenants: .*10000/),
    ]);
    await stillServingV1();
  });

  it('takes a large valid state (10,000 tenants with keys) whole', async () => {
    const state = testState(simulator.url, 'many-tenants');
    for (let i = 0; i < 9_990; i++) {
      state.tenants.push({ ...state.tenants[1], id: `t-${i}` });
      state.apiKeys.push({
        sha256: hashApiKey(`k-${i}`),
        prefix: 'cp-x',
        tenant: `t-${i}`,
      });
    }
    const push = await put(JSON.stringify(state));
    expect(await push.json()).toEqual({
      version: 'many-tenants',
      changed: true,
    });
    const served = await postChat(
      url,
      { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] },
      { key: 'k-9989' },
    );
    expect(served.status).toBe(200);
    await put(JSON.stringify(testState(simulator.url, 'v1')));
    await stillServingV1();
  });
});
