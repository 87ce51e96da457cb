import { Entity } from '@backstage/catalog-model';
import { TEST_ENTITIES } from '@cellport/plugin-platform-node-test-utils';
import { entitiesOf } from '../__testUtils__/entitiesOf';
import { PlatformEntities } from '../catalog/platformEntities';
import {
  ApiKeyHolder,
  catalogApiKeys,
  ManagedApiKeys,
  NO_MANAGED_API_KEYS,
} from './boundApiKeys';
import { computeDesiredState } from './desiredState';

const byName = (name: string) =>
  TEST_ENTITIES.find(e => e.metadata.name === name)!;
const sha = (c: string) => c.repeat(64);
const annotated = (entity: Entity, keys: object[]): Entity => ({
  ...entity,
  metadata: {
    ...entity.metadata,
    annotations: {
      ...entity.metadata.annotations,
      'cellport.dev/api-keys': JSON.stringify(keys),
    },
  },
});

/** Every annotated key recorded as the portal would have issued it: to its annotation's owner. */
function issuedAsAnnotated(platform: PlatformEntities) {
  return new Map<string, ApiKeyHolder>(
    catalogApiKeys(platform).keys.map(key => [
      key.sha256,
      { tenant: key.tenant, ...(key.agent ? { agent: key.agent } : {}) },
    ]),
  );
}

async function stateOf(
  entities: Entity[],
  options: Omit<
    NonNullable<Parameters<typeof computeDesiredState>[2]>,
    'managedApiKeys'
  > & {
    managedApiKeys?: Partial<ManagedApiKeys>;
  } = {},
) {
  const platform = entitiesOf(entities);
  const cell = platform.cells.find(
    c => c.metadata.name === 'eu-west-shared-1',
  )!;
  return computeDesiredState(cell, platform, {
    ...options,
    managedApiKeys: {
      ...NO_MANAGED_API_KEYS,
      issued: issuedAsAnnotated(platform),
      ...options.managedApiKeys,
    },
  });
}

describe('computeDesiredState: API keys', () => {
  it("binds a key annotated on an agent to that agent and its tenant, leaves out the catalog's createdAt, and never pushes the key of an agent whose tenant the cell does not host", async () => {
    const checkout = annotated(byName('checkout-assistant'), [
      {
        sha256: sha('5'),
        prefix: 'cpk_agent1',
        createdAt: '2026-12-01T00:00:00Z',
      },
    ]);
    // This agent says it runs in eu-west-shared-1, but its tenant lives elsewhere.
    const outsider: Entity = annotated(
      {
        ...byName('checkout-assistant'),
        metadata: { name: 'outsider' },
        spec: { ...byName('checkout-assistant').spec, tenant: 'meridian-bank' },
      },
      [{ sha256: sha('d'), prefix: 'cpk_outsid' }],
    );
    const { state, warnings } = await stateOf([
      ...TEST_ENTITIES.filter(e => e.metadata.name !== 'checkout-assistant'),
      checkout,
      outsider,
    ]);
    expect(state.apiKeys).toContainEqual({
      sha256: sha('5'),
      prefix: 'cpk_agent1',
      tenant: 'northwind-retail',
      agent: 'checkout-assistant',
    });
    expect(state.apiKeys.map(k => k.sha256)).not.toContain(sha('d'));
    expect(state.agents.map(a => a.id)).not.toContain('outsider');
    expect(warnings).toEqual([
      'agent "outsider": the cell does not host its tenant "meridian-bank"',
    ]);
  });

  it("refuses a key on an agent that names another tenant's agent, and a tenant key bound to another tenant's agent", async () => {
    // homework-helper is brightpath-edu's: neither northwind's agent file nor northwind's
    // tenant file may hand out a key that acts as it.
    const checkout = annotated(byName('checkout-assistant'), [
      { sha256: sha('6'), prefix: 'cpk_steal1', agent: 'homework-helper' },
    ]);
    const northwind = annotated(byName('northwind-retail'), [
      { sha256: sha('c'), prefix: 'cpk_steal2', agent: 'homework-helper' },
    ]);
    const { state, warnings } = await stateOf([
      ...TEST_ENTITIES.filter(
        e =>
          !['checkout-assistant', 'northwind-retail'].includes(e.metadata.name),
      ),
      checkout,
      northwind,
    ]);
    expect(state.apiKeys.map(k => k.sha256)).not.toContain(sha('6'));
    expect(state.apiKeys.map(k => k.sha256)).not.toContain(sha('c'));
    expect(warnings).toEqual([
      'agent "checkout-assistant": key cpk_steal1… names agent "homework-helper"; an agent\'s keys are its own, so it is left out',
      'API key cpk_steal2… of tenant "northwind-retail" is bound to agent "homework-helper", which is tenant "brightpath-edu"\'s; left out',
    ]);
  });

  it('serves a hash two owners claim only to the one the portal issued it to', async () => {
    const northwind = annotated(byName('northwind-retail'), [
      { sha256: sha('e'), prefix: 'cpk_mine01' },
    ]);
    const brightpath = annotated(byName('brightpath-edu'), [
      { sha256: sha('e'), prefix: 'cpk_mine01' },
    ]);
    const { state, warnings } = await stateOf(
      [
        ...TEST_ENTITIES.filter(
          e =>
            !['brightpath-edu', 'northwind-retail'].includes(e.metadata.name),
        ),
        northwind,
        brightpath,
      ],
      {
        managedApiKeys: {
          issued: new Map([[sha('e'), { tenant: 'northwind-retail' }]]),
        },
      },
    );
    expect(state.apiKeys.filter(k => k.sha256 === sha('e'))).toEqual([
      { sha256: sha('e'), prefix: 'cpk_mine01', tenant: 'northwind-retail' },
    ]);
    expect(warnings).toContain(
      'API key cpk_mine01… of tenant "brightpath-edu" was issued to another tenant or agent; left out',
    );
  });

  it('serves no annotated key the portal did not issue to that tenant and agent: a hand-added hash, an agent moved to another tenant, or no records at all', async () => {
    // Someone who can push to the agent's repository adds a key of their own and moves the
    // agent, with the key the portal issued to it, to another tenant the cell hosts.
    const moved = annotated(
      {
        ...byName('checkout-assistant'),
        spec: {
          ...byName('checkout-assistant').spec,
          tenant: 'brightpath-edu',
        },
      },
      [
        { sha256: sha('7'), prefix: 'cpk_issued' },
        { sha256: sha('8'), prefix: 'cpk_handmd' },
      ],
    );
    const entities = [
      ...TEST_ENTITIES.filter(e => e.metadata.name !== 'checkout-assistant'),
      moved,
    ];
    const issued = new Map([
      [sha('7'), { tenant: 'northwind-retail', agent: 'checkout-assistant' }],
    ]);
    const { state, warnings } = await stateOf(entities, {
      managedApiKeys: { issued },
    });
    const served = state.apiKeys.map(k => k.prefix);
    expect(served).not.toContain('cpk_issued');
    expect(served).not.toContain('cpk_handmd');
    expect(warnings).toEqual(
      expect.arrayContaining([
        'API key cpk_issued… of tenant "brightpath-edu" (agent "checkout-assistant") was issued to another tenant or agent; left out',
        'API key cpk_handmd… of tenant "brightpath-edu" (agent "checkout-assistant") was not issued by the portal; left out',
      ]),
    );

    // Where it was issued, the same key serves.
    const home = annotated(byName('checkout-assistant'), [
      { sha256: sha('7'), prefix: 'cpk_issued' },
    ]);
    const atHome = await stateOf(
      [
        ...TEST_ENTITIES.filter(e => e.metadata.name !== 'checkout-assistant'),
        home,
      ],
      { managedApiKeys: { issued } },
    );
    expect(atHome.state.apiKeys.map(k => k.prefix)).toContain('cpk_issued');

    // Without the portal's records (a caller that passes none), no annotation serves.
    const platform = entitiesOf(entities);
    const cell = platform.cells.find(
      c => c.metadata.name === 'eu-west-shared-1',
    )!;
    expect(computeDesiredState(cell, platform).state.apiKeys).toEqual([]);
  });

  it("adds the portal's minted keys and gives a rotated-out key its expiresAt, never a later one", async () => {
    const checkout = annotated(byName('checkout-assistant'), [
      { sha256: sha('1'), prefix: 'cpk_old001' },
      {
        sha256: sha('2'),
        prefix: 'cpk_old002',
        expiresAt: '2026-12-02T00:00:00.000Z',
      },
    ]);
    const { state } = await stateOf(
      [
        ...TEST_ENTITIES.filter(e => e.metadata.name !== 'checkout-assistant'),
        checkout,
      ],
      {
        managedApiKeys: {
          minted: [
            {
              sha256: sha('3'),
              prefix: 'cpk_new001',
              tenant: 'northwind-retail',
              agent: 'checkout-assistant',
              createdAt: '2026-12-03T00:00:00.000Z',
              source: 'portal',
            },
            // Minted for a tenant another cell hosts: not this gateway's.
            {
              sha256: sha('4'),
              prefix: 'cpk_new002',
              tenant: 'meridian-bank',
              source: 'portal',
            },
          ],
          rotatedOut: new Map([
            [sha('1'), '2026-12-04T00:00:00.000Z'],
            [sha('2'), '2026-12-09T00:00:00.000Z'],
          ]),
        },
      },
    );
    const keys = Object.fromEntries(state.apiKeys.map(k => [k.sha256, k]));
    expect(keys[sha('1')]).toEqual({
      sha256: sha('1'),
      prefix: 'cpk_old001',
      tenant: 'northwind-retail',
      agent: 'checkout-assistant',
      expiresAt: '2026-12-04T00:00:00.000Z',
    });
    expect(keys[sha('2')].expiresAt).toBe('2026-12-02T00:00:00.000Z');
    expect(keys[sha('3')]).toEqual({
      sha256: sha('3'),
      prefix: 'cpk_new001',
      tenant: 'northwind-retail',
      agent: 'checkout-assistant',
    });
    expect(keys[sha('4')]).toBeUndefined();
  });

  it('prunes keys that have expired by the time the state is computed', async () => {
    const checkout = annotated(byName('checkout-assistant'), [
      {
        sha256: sha('1'),
        prefix: 'cpk_gone01',
        expiresAt: '2026-12-02T00:00:00.000Z',
      },
      {
        sha256: sha('2'),
        prefix: 'cpk_live01',
        expiresAt: '2026-12-09T00:00:00.000Z',
      },
      { sha256: sha('3'), prefix: 'cpk_rotd01' },
    ]);
    const entities = [
      ...TEST_ENTITIES.filter(e => e.metadata.name !== 'checkout-assistant'),
      checkout,
    ];
    const { state } = await stateOf(entities, {
      managedApiKeys: {
        minted: [],
        // Rotated out, overlap ended yesterday: pruned although its catalog entry has no end.
        rotatedOut: new Map([[sha('3'), '2026-12-02T12:00:00.000Z']]),
      },
      now: Date.parse('2026-12-03T00:00:00.000Z'),
    });
    const prefixes = state.apiKeys.map(k => k.prefix);
    expect(prefixes).toContain('cpk_live01');
    expect(prefixes).not.toContain('cpk_gone01');
    expect(prefixes).not.toContain('cpk_rotd01');
    // Exactly at its end a key is gone, as the gateway itself refuses it then.
    const atEnd = await stateOf(entities, {
      now: Date.parse('2026-12-09T00:00:00.000Z'),
    });
    expect(atEnd.state.apiKeys.map(k => k.prefix)).not.toContain('cpk_live01');
  });
});
