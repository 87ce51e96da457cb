import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import { CatalogProcessorResult } from '@backstage/plugin-catalog-node';
import { PlatformEntitiesProcessor } from './PlatformEntitiesProcessor';

const location = { type: 'file', target: '/catalog/cells.yaml' };

const cell: Entity = {
  apiVersion: 'cellport.dev/v1alpha1',
  kind: 'Cell',
  metadata: {
    name: 'eu-west-shared-1',
    annotations: { 'backstage.io/kubernetes-id': 'eu-west-shared-1' },
  },
  spec: {
    owner: 'group:platform-sre',
    tier: 'shared',
    cloud: 'aws',
    region: 'eu-west-1',
    cluster: 'eks-eu-west-1',
    namespaces: ['tenant-northwind'],
    capacity: { maxTenants: 10, maxRequestsPerSecond: 100 },
    tenants: ['northwind'],
  },
};

const tenant: Entity = {
  apiVersion: 'cellport.dev/v1alpha1',
  kind: 'Tenant',
  metadata: { name: 'northwind' },
  spec: {
    owner: 'group:northwind-team',
    tier: 'basic',
    isolation: 'shared',
    homeRegion: 'eu-west-1',
    dataClassification: 'INTERNAL',
    monthlyBudgetUsd: 100,
    rateLimits: { requestsPerMinute: 60, tokensPerMinute: 10000 },
    modelAllowlist: ['gpt-4o-mini'],
  },
};

const agent: Entity = {
  apiVersion: 'cellport.dev/v1alpha1',
  kind: 'Agent',
  metadata: { name: 'checkout' },
  spec: {
    owner: 'group:northwind-team',
    tenant: 'northwind',
    cell: 'eu-west-shared-1',
    modelProfiles: ['gpt-4o-mini'],
    routing: { policy: 'cost', fallbackChain: ['gpt-4o'] },
  },
};

const profile = (name: string): Entity => ({
  apiVersion: 'cellport.dev/v1alpha1',
  kind: 'ModelProfile',
  metadata: { name },
  spec: {},
});
const group = (name: string): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Group',
  metadata: { name },
  spec: {},
});

/** A catalog holding the given entities, looked up by ref as the catalog service does. */
function catalogOf(...entities: Entity[]) {
  const byRef = new Map(entities.map(e => [stringifyEntityRef(e), e]));
  return {
    getEntitiesByRefs: async (refs: string[]) => refs.map(r => byRef.get(r)),
    getEntitiesOfKinds: async (kinds: string[]) =>
      entities.filter(e => kinds.includes(e.kind)),
  };
}

async function process(processor: PlatformEntitiesProcessor, entity: Entity) {
  const emitted: CatalogProcessorResult[] = [];
  await processor.postProcessEntity(entity, location, r => emitted.push(r));
  return {
    relations: emitted.flatMap(r =>
      r.type === 'relation'
        ? [
            `${stringifyEntityRef(r.relation.source)} ${
              r.relation.type
            } ${stringifyEntityRef(r.relation.target)}`,
          ]
        : [],
    ),
    errors: emitted.flatMap(r => (r.type === 'error' ? [r.error.message] : [])),
  };
}

const fullCatalog = catalogOf(
  cell,
  tenant,
  agent,
  profile('gpt-4o-mini'),
  profile('gpt-4o'),
  group('platform-sre'),
  group('northwind-team'),
);

describe('PlatformEntitiesProcessor', () => {
  const processor = new PlatformEntitiesProcessor(fullCatalog);

  it('leaves entities of other kinds alone', async () => {
    await expect(processor.validateEntityKind(group('x'))).resolves.toBe(false);
    await expect(
      processor.validateEntityKind({
        ...tenant,
        apiVersion: 'backstage.io/v1alpha1',
      }),
    ).resolves.toBe(false);
  });

  it('accepts a valid entity', async () => {
    await expect(processor.validateEntityKind(agent)).resolves.toBe(true);
  });

  it('rejects an invalid entity naming the field', async () => {
    await expect(
      processor.validateEntityKind({
        ...tenant,
        spec: { ...tenant.spec, monthlyBudgetUsd: 0 },
      }),
    ).rejects.toThrow(
      'Invalid Tenant "northwind": spec.monthlyBudgetUsd: must be greater than 0',
    );
  });

  it('emits the relations of an agent in both directions', async () => {
    const { relations, errors } = await process(processor, agent);
    expect(errors).toEqual([]);
    expect(relations.sort()).toEqual(
      [
        'agent:default/checkout ownedBy group:default/northwind-team',
        'group:default/northwind-team ownerOf agent:default/checkout',
        'agent:default/checkout partOf tenant:default/northwind',
        'tenant:default/northwind hasPart agent:default/checkout',
        'agent:default/checkout hostedBy cell:default/eu-west-shared-1',
        'cell:default/eu-west-shared-1 hosts agent:default/checkout',
        'agent:default/checkout dependsOn modelprofile:default/gpt-4o-mini',
        'modelprofile:default/gpt-4o-mini dependencyOf agent:default/checkout',
        'agent:default/checkout dependsOn modelprofile:default/gpt-4o',
        'modelprofile:default/gpt-4o dependencyOf agent:default/checkout',
      ].sort(),
    );
  });

  it('emits hosts / hostedBy between a cell and its tenants', async () => {
    const { relations } = await process(processor, cell);
    expect(relations).toEqual(
      expect.arrayContaining([
        'cell:default/eu-west-shared-1 hosts tenant:default/northwind',
        'tenant:default/northwind hostedBy cell:default/eu-west-shared-1',
      ]),
    );
  });

  it('reports references to entities the catalog does not have, and keeps the relations', async () => {
    const sparse = new PlatformEntitiesProcessor(
      catalogOf(cell, tenant, group('northwind-team'), profile('gpt-4o-mini')),
    );
    const { relations, errors } = await process(sparse, agent);
    expect(errors).toEqual([
      'Agent "checkout": spec.routing.fallbackChain[0]: modelprofile:default/gpt-4o does not exist in the catalog',
    ]);
    expect(relations).toContain(
      'agent:default/checkout dependsOn modelprofile:default/gpt-4o',
    );
  });

  it('reports an agent placed in a cell that does not host its tenant', async () => {
    const otherCell = {
      ...cell,
      spec: { ...cell.spec, tenants: [] },
    };
    const lonely = new PlatformEntitiesProcessor(
      catalogOf(
        otherCell,
        tenant,
        group('northwind-team'),
        profile('gpt-4o-mini'),
        profile('gpt-4o'),
      ),
    );
    const { errors } = await process(lonely, agent);
    expect(errors).toEqual([
      'Agent "checkout": spec.cell: cell "eu-west-shared-1" does not host tenant "northwind"',
    ]);
  });

  it('reports a tenant whose isolation does not match the cell tier', async () => {
    const dedicatedTenant = {
      ...tenant,
      spec: { ...tenant.spec, isolation: 'dedicated' },
    };
    const mixed = new PlatformEntitiesProcessor(
      catalogOf(dedicatedTenant, group('platform-sre')),
    );
    const { errors } = await process(mixed, cell);
    expect(errors).toEqual([
      'Cell "eu-west-shared-1": spec.tenants[0]: tenant "northwind" needs dedicated isolation, this cell is shared',
    ]);
  });

  it('relates a tenant that names its cell, and checks the cell tier', async () => {
    const onboarded = {
      ...tenant,
      metadata: { name: 'contoso' },
      spec: { ...tenant.spec, cell: 'eu-west-shared-1' },
    };
    const { relations, errors } = await process(processor, onboarded);
    expect(errors).toEqual([]);
    expect(relations).toEqual(
      expect.arrayContaining([
        'tenant:default/contoso hostedBy cell:default/eu-west-shared-1',
        'cell:default/eu-west-shared-1 hosts tenant:default/contoso',
      ]),
    );
    const dedicated = {
      ...onboarded,
      spec: { ...onboarded.spec, isolation: 'dedicated' },
    };
    expect((await process(processor, dedicated)).errors).toEqual([
      'Tenant "contoso": spec.cell: cell "eu-west-shared-1" is shared, the tenant needs dedicated isolation',
    ]);
  });

  it('accepts an agent in the shared cell its tenant names', async () => {
    const onboarded = {
      ...tenant,
      metadata: { name: 'contoso' },
      spec: { ...tenant.spec, cell: 'eu-west-shared-1' },
    };
    const contosoAgent = {
      ...agent,
      metadata: { name: 'planner' },
      spec: { ...agent.spec, tenant: 'contoso' },
    };
    const withContoso = new PlatformEntitiesProcessor(
      catalogOf(
        { ...cell, spec: { ...cell.spec, tenants: [] } },
        onboarded,
        group('northwind-team'),
        profile('gpt-4o-mini'),
        profile('gpt-4o'),
      ),
    );
    expect((await process(withContoso, contosoAgent)).errors).toEqual([]);
  });

  describe('a Tenant written by hand into a shared cell', () => {
    // The form refuses both: the cell is full, or outside the tenant's region.
    const fullCell: Entity = {
      ...cell,
      spec: {
        ...cell.spec,
        capacity: { maxTenants: 1, maxRequestsPerSecond: 100 },
      },
    };
    const joiner = (
      name: string,
      spec: Record<string, unknown> = {},
    ): Entity => ({
      ...tenant,
      metadata: { name },
      spec: { ...tenant.spec, cell: 'eu-west-shared-1', ...spec },
    });
    const catalogWith = (...entities: Entity[]) =>
      new PlatformEntitiesProcessor(
        catalogOf(
          fullCell,
          tenant,
          ...entities,
          profile('gpt-4o-mini'),
          group('platform-sre'),
          group('northwind-team'),
        ),
      );

    it('reports a tenant naming a full shared cell, which keeps the tenants in place', async () => {
      // Written by hand, not yet in the catalog: the cell's one place is taken.
      const contoso = joiner('contoso');
      const withJoiner = catalogWith();
      expect((await process(withJoiner, contoso)).errors).toEqual([
        'Tenant "contoso": spec.cell: cell "eu-west-shared-1" is full (1 of 1 tenants)',
      ]);
      expect((await process(withJoiner, fullCell)).errors).toEqual([]);
      expect((await process(withJoiner, tenant)).errors).toEqual([]);
    });

    it('reports a tenant pinned to another region naming a shared cell', async () => {
      const roomy: Entity = {
        ...cell,
        spec: { ...cell.spec, region: 'us-east-1' },
      };
      const pinnedEu = joiner('contoso', {
        residency: { pinned: true, regions: ['eu-west-1'] },
      });
      const withJoiner = new PlatformEntitiesProcessor(
        catalogOf(
          roomy,
          tenant,
          pinnedEu,
          profile('gpt-4o-mini'),
          group('northwind-team'),
        ),
      );
      expect((await process(withJoiner, pinnedEu)).errors).toEqual([
        `Tenant "contoso": spec.cell: cell "eu-west-shared-1" is in us-east-1, not in the tenant's region eu-west-1; cell "eu-west-shared-1" is in us-east-1, outside the pinned residency eu-west-1`,
      ]);
    });

    it('judges the tenant as written now, not as the catalog stored it', async () => {
      const stored = joiner('contoso', { homeRegion: 'us-east-1' });
      const edited = joiner('contoso');
      const withJoiner = new PlatformEntitiesProcessor(
        catalogOf(
          cell,
          tenant,
          stored,
          profile('gpt-4o-mini'),
          group('northwind-team'),
        ),
      );
      expect((await process(withJoiner, edited)).errors).toEqual([]);
    });
  });

  describe('private capacity: the models of a dedicated cell', () => {
    const dedicatedCell: Entity = {
      ...cell,
      metadata: { name: 'meridian-dedicated' },
      spec: { ...cell.spec, tier: 'dedicated', tenants: ['meridian'] },
    };
    const meridian: Entity = {
      ...tenant,
      metadata: { name: 'meridian' },
      spec: {
        ...tenant.spec,
        isolation: 'dedicated',
        modelAllowlist: ['llama-meridian'],
      },
    };
    const deployment = (cellName: string): Entity => ({
      apiVersion: 'cellport.dev/v1alpha1',
      kind: 'InferenceDeployment',
      metadata: { name: 'llama-meridian' },
      spec: { cell: cellName, modelProfile: 'llama-meridian' },
    });
    // Written by hand in git: the form would never offer the model.
    const greedyTenant: Entity = {
      ...tenant,
      spec: {
        ...tenant.spec,
        modelAllowlist: ['gpt-4o-mini', 'modelprofile:default/llama-meridian'],
      },
    };
    const greedyAgent: Entity = {
      ...agent,
      spec: {
        ...agent.spec,
        routing: { policy: 'cost', fallbackChain: ['llama-meridian'] },
      },
    };
    const entities = [
      cell,
      dedicatedCell,
      meridian,
      profile('gpt-4o-mini'),
      profile('llama-meridian'),
      group('platform-sre'),
      group('northwind-team'),
    ];
    const refusal =
      'llama-meridian is private capacity of the dedicated cell "meridian-dedicated" (tenants: meridian); tenant "northwind" is not hosted there and the profile is not shared with it';

    it("reports a shared tenant that allowlists the model of another tenant's dedicated cell", async () => {
      const isolating = new PlatformEntitiesProcessor(
        catalogOf(...entities, greedyTenant, deployment('meridian-dedicated')),
      );
      expect((await process(isolating, greedyTenant)).errors).toEqual([
        `Tenant "northwind": spec.modelAllowlist[1]: ${refusal}`,
      ]);
      expect((await process(isolating, meridian)).errors).toEqual([]);
    });

    it("reports an agent whose fallback chain reaches a dedicated cell's model", async () => {
      const isolating = new PlatformEntitiesProcessor(
        catalogOf(
          ...entities,
          tenant,
          greedyAgent,
          deployment('meridian-dedicated'),
        ),
      );
      expect((await process(isolating, greedyAgent)).errors).toEqual([
        `Agent "checkout": spec.routing.fallbackChain[0]: ${refusal}`,
      ]);
    });

    it('does not let a tenant make itself the guest of a dedicated cell by naming it', async () => {
      const intruder: Entity = {
        ...tenant,
        spec: {
          ...tenant.spec,
          isolation: 'dedicated',
          cell: 'meridian-dedicated',
        },
      };
      const stowaway: Entity = {
        ...agent,
        spec: { ...agent.spec, cell: 'meridian-dedicated' },
      };
      const guarded = new PlatformEntitiesProcessor(
        catalogOf(...entities, intruder, stowaway),
      );
      const [error] = (await process(guarded, stowaway)).errors;
      expect(error).toContain(
        'spec.cell: cell "meridian-dedicated" does not host tenant "northwind"',
      );
    });

    it('reports an allowlist that became invalid when the deployment moved', async () => {
      const helios: Entity = {
        ...dedicatedCell,
        metadata: { name: 'helios-vpc' },
        spec: {
          ...dedicatedCell.spec,
          tier: 'customer-vpc',
          tenants: ['helios'],
        },
      };
      const before = new PlatformEntitiesProcessor(
        catalogOf(...entities, helios, deployment('meridian-dedicated')),
      );
      expect((await process(before, meridian)).errors).toEqual([]);
      const after = new PlatformEntitiesProcessor(
        catalogOf(...entities, helios, deployment('helios-vpc')),
      );
      expect((await process(after, meridian)).errors).toEqual([
        'Tenant "meridian": spec.modelAllowlist[0]: llama-meridian is private capacity of the customer-vpc cell "helios-vpc" (tenants: helios); tenant "meridian" is not hosted there and the profile is not shared with it',
      ]);
    });
  });
});
