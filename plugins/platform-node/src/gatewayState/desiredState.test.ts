import { Entity } from '@backstage/catalog-model';
import { TEST_ENTITIES } from '@cellport/plugin-platform-node-test-utils';
import { entitiesOf } from '../__testUtils__/entitiesOf';
import { toPlatformEntities } from '../catalog/platformEntities';
import { gatewayDesiredStateSchema } from '@cellport/plugin-platform-common';
import { computeDesiredState } from './desiredState';

const contoso: Entity = {
  ...TEST_ENTITIES.find(e => e.metadata.name === 'northwind-retail')!,
  metadata: { name: 'contoso-travel' },
};
(contoso.spec as any) = { ...contoso.spec, cell: 'eu-west-shared-1' };

describe('computeDesiredState', () => {
  it('includes tenants that name the cell, and key hashes provisioned outside the catalog', async () => {
    const entities = entitiesOf([...TEST_ENTITIES, contoso]);
    const cell = entities.cells.find(
      c => c.metadata.name === 'eu-west-shared-1',
    )!;
    const demoKey = {
      tenant: 'contoso-travel',
      sha256: 'c'.repeat(64),
      prefix: 'cpk_demo01',
    };
    const elsewhere = {
      tenant: 'meridian-bank',
      sha256: 'd'.repeat(64),
      prefix: 'cpk_demo02',
    };
    const { state } = computeDesiredState(cell, entities, {
      extraApiKeys: [demoKey, elsewhere],
    });
    expect(state.tenants.map(t => t.id)).toContain('contoso-travel');
    expect(state.apiKeys).toContainEqual(demoKey);
    // A key of a tenant the cell does not host is not pushed to it.
    expect(state.apiKeys).not.toContainEqual(elsewhere);
  });

  it('leaves out, with a warning, a hand-edited allowlist entry that names no profile in the catalog, whatever its length', () => {
    const northwind = TEST_ENTITIES.find(
      e => e.metadata.name === 'northwind-retail',
    )!;
    const ghost = `ghost-model-${'x'.repeat(100)}`;
    const edited: Entity = {
      ...northwind,
      spec: {
        ...northwind.spec,
        modelAllowlist: [
          ...(northwind.spec as { modelAllowlist: string[] }).modelAllowlist,
          ghost,
        ],
      },
    };
    const entities = entitiesOf([
      ...TEST_ENTITIES.filter(e => e !== northwind),
      edited,
    ]);
    const { state, warnings } = computeDesiredState(
      entities.cells[0],
      entities,
    );
    // The cell's state stays one its gateways take: the rest of the cell keeps its routes.
    expect(gatewayDesiredStateSchema.safeParse(state).success).toBe(true);
    const tenant = state.tenants.find(t => t.id === 'northwind-retail')!;
    expect(tenant.allowedModels).not.toContain(ghost);
    expect(tenant.allowedModels.length).toBeGreaterThan(0);
    expect(warnings).toContain(
      `model profile "${ghost}" is not in the catalog`,
    );
  });

  it('reads refs as the catalog does, whatever their case, and writes the names as it spells them', () => {
    const northwind = TEST_ENTITIES.find(
      e => e.metadata.name === 'northwind-retail',
    )!;
    const agent = TEST_ENTITIES.find(e => e.kind === 'Agent')!;
    const spec = northwind.spec as { modelAllowlist: string[] };
    const edited: Entity[] = [
      {
        ...northwind,
        spec: {
          ...spec,
          modelAllowlist: spec.modelAllowlist.map(m => m.toUpperCase()),
        },
      },
      {
        ...agent,
        spec: {
          ...agent.spec,
          cell: `cell:default/${String((agent.spec as { cell: string }).cell)
            .replace(/^cell:default\//, '')
            .toUpperCase()}`,
        },
      },
    ];
    const entities = entitiesOf([
      ...TEST_ENTITIES.filter(e => e !== northwind && e !== agent),
      ...edited,
    ]);
    const before = computeDesiredState(
      entitiesOf(TEST_ENTITIES).cells[0],
      entitiesOf(TEST_ENTITIES),
    ).state;
    const after = computeDesiredState(entities.cells[0], entities).state;
    // The same state: no model lost to its spelling, no agent left out of its cell.
    expect(after.tenants).toEqual(before.tenants);
    expect(after.agents).toEqual(before.agents);
  });

  it('names each profile once, however many refs name it, so one agent cannot block the cell', () => {
    const northwind = TEST_ENTITIES.find(
      e => e.metadata.name === 'northwind-retail',
    )!;
    const agent = TEST_ENTITIES.find(e => e.kind === 'Agent')!;
    const allowlist = (northwind.spec as { modelAllowlist: string[] })
      .modelAllowlist;
    const routing = (agent.spec as any).routing;
    const twice = (refs: string[]) =>
      refs.flatMap(ref => [
        ref,
        ref.toUpperCase(),
        `modelprofile:default/${ref}`,
      ]);
    const entities = entitiesOf([
      ...TEST_ENTITIES.filter(e => e !== northwind && e !== agent),
      {
        ...northwind,
        spec: { ...northwind.spec, modelAllowlist: twice(allowlist) },
      },
      {
        ...agent,
        spec: {
          ...agent.spec,
          modelProfiles: twice((agent.spec as any).modelProfiles),
          routing: { ...routing, fallbackChain: twice(routing.fallbackChain) },
        },
      },
    ]);
    const { state } = computeDesiredState(entities.cells[0], entities);
    const before = computeDesiredState(
      entitiesOf(TEST_ENTITIES).cells[0],
      entitiesOf(TEST_ENTITIES),
    ).state;
    expect(state.tenants).toEqual(before.tenants);
    expect(state.agents).toEqual(before.agents);
    // Before, the repeated fallback made the whole cell's state invalid: nothing was pushed.
    expect(gatewayDesiredStateSchema.safeParse(state).success).toBe(true);
  });

  it('gives the same version to the same content', async () => {
    const entities = entitiesOf(TEST_ENTITIES);
    const cell = entities.cells[0];
    expect(computeDesiredState(cell, entities).state.version).toBe(
      computeDesiredState(cell, entities).state.version,
    );
  });

  it("puts a tenant's content capture in its traces' policy only when it opts in", () => {
    const northwind = TEST_ENTITIES.find(
      e => e.metadata.name === 'northwind-retail',
    )!;
    const optedIn: Entity = {
      ...northwind,
      spec: { ...northwind.spec, telemetry: { captureContent: true } },
    };
    const entities = entitiesOf([
      ...TEST_ENTITIES.filter(e => e !== northwind),
      optedIn,
    ]);
    const { state } = computeDesiredState(entities.cells[0], entities);
    const tenant = (id: string) => state.tenants.find(t => t.id === id)!;
    expect(tenant('northwind-retail').telemetry).toEqual({
      captureContent: true,
    });
    // Never by default.
    expect(tenant('brightpath-edu').telemetry).toBeUndefined();
  });

  it("passes a profile's image token count to the gateway only when it declares one", () => {
    const mini = TEST_ENTITIES.find(
      e => e.metadata.name === 'azure-gpt-4o-mini-eu',
    )!;
    const billed: Entity = {
      ...mini,
      spec: {
        ...mini.spec,
        capabilities: {
          ...(mini.spec as any).capabilities,
          imageTokens: 48_169,
        },
      },
    };
    const entities = entitiesOf([
      ...TEST_ENTITIES.filter(e => e !== mini),
      billed,
    ]);
    const cell = entities.cells.find(
      c => c.metadata.name === 'eu-west-shared-1',
    )!;
    const { state } = computeDesiredState(cell, entities);
    const profiles = new Map(state.modelProfiles.map(p => [p.id, p]));
    expect(profiles.get('azure-gpt-4o-mini-eu')!.imageTokens).toBe(48_169);
    // Profiles that do not declare one leave the field out.
    expect(
      state.modelProfiles
        .filter(profile => 'imageTokens' in profile)
        .map(profile => profile.id),
    ).toEqual(['azure-gpt-4o-mini-eu']);
  });

  it('pushes only the limits the gateway enforces, whatever else a hand-edited entity holds', () => {
    const byName = (name: string) =>
      TEST_ENTITIES.find(e => e.metadata.name === name)!;
    const withExtra = (entity: Entity): Entity => ({
      ...entity,
      spec: {
        ...entity.spec,
        rateLimits: {
          requestsPerMinute: 120,
          tokensPerMinute: 90000,
          requestsPerDay: 10,
        },
      },
    });
    const tenant = byName('northwind-retail');
    const agent = byName('checkout-assistant');
    const entities = entitiesOf([
      ...TEST_ENTITIES.filter(e => e !== tenant && e !== agent),
      withExtra(tenant),
      withExtra(agent),
    ]);
    const cell = entities.cells.find(
      c => c.metadata.name === 'eu-west-shared-1',
    )!;
    const { state } = computeDesiredState(cell, entities);
    // The gateway refuses a state with a limit it does not know: the whole cell's push. The
    // kinds' schemas drop what they do not know as they read an entity.
    expect(gatewayDesiredStateSchema.safeParse(state).success).toBe(true);
    const limits = { requestsPerMinute: 120, tokensPerMinute: 90000 };
    expect(
      state.tenants.find(t => t.id === 'northwind-retail')!.limits,
    ).toEqual(limits);
    expect(
      state.agents.find(a => a.id === 'checkout-assistant')!.limits,
    ).toEqual(limits);
  });

  it("maps an agent's own rate limits and each profile's type", async () => {
    const byName = (name: string) =>
      TEST_ENTITIES.find(e => e.metadata.name === name)!;
    const checkout = byName('checkout-assistant');
    const limited: Entity = {
      ...checkout,
      spec: {
        ...checkout.spec,
        rateLimits: { requestsPerMinute: 120, tokensPerMinute: 90000 },
        modelProfiles: ['azure-gpt-4o-mini-eu', 'text-embedding-eu'],
      },
    };
    const chat = byName('azure-gpt-4o-mini-eu');
    const embedding: Entity = {
      ...chat,
      metadata: { name: 'text-embedding-eu' },
      spec: {
        ...chat.spec,
        type: 'embeddings',
        model: 'text-embedding-3-small',
      },
    };
    const entities = entitiesOf([
      ...TEST_ENTITIES.filter(e => e !== checkout),
      limited,
      embedding,
    ]);
    const cell = entities.cells.find(
      c => c.metadata.name === 'eu-west-shared-1',
    )!;
    const { state } = computeDesiredState(cell, entities);
    const agents = new Map(state.agents.map(a => [a.id, a]));
    expect(agents.get('checkout-assistant')!.limits).toEqual({
      requestsPerMinute: 120,
      tokensPerMinute: 90000,
    });
    // Without rateLimits only the tenant's limits hold the agent.
    expect(agents.get('homework-helper')).not.toHaveProperty('limits');
    const types = Object.fromEntries(
      state.modelProfiles.map(p => [p.id, p.type]),
    );
    // A profile that does not say is a chat model.
    expect(types).toMatchObject({
      'azure-gpt-4o-mini-eu': 'chat',
      'text-embedding-eu': 'embeddings',
    });
  });

  describe('private capacity', () => {
    const byName = (name: string) =>
      TEST_ENTITIES.find(e => e.metadata.name === name)!;
    const sharedCell = byName('eu-west-shared-1');
    const northwind = byName('northwind-retail');
    const profile = byName('azure-gpt-4o-mini-eu');
    const dedicated: Entity = {
      ...sharedCell,
      metadata: {
        name: 'meridian-dedicated',
        annotations: { 'backstage.io/kubernetes-id': 'meridian-dedicated' },
      },
      spec: {
        ...sharedCell.spec,
        tier: 'dedicated',
        tenants: ['meridian-bank'],
      },
    };
    const meridian: Entity = {
      ...northwind,
      metadata: { name: 'meridian-bank' },
      spec: {
        ...northwind.spec,
        isolation: 'dedicated',
        modelAllowlist: ['llama-meridian'],
      },
    };
    const privateProfile: Entity = {
      ...profile,
      metadata: { name: 'llama-meridian' },
    };
    const euDeployment = TEST_ENTITIES.find(
      e => e.kind === 'InferenceDeployment',
    )!;
    const deployment: Entity = {
      ...euDeployment,
      metadata: {
        name: 'llama-meridian',
        annotations: { 'backstage.io/kubernetes-id': 'llama-meridian' },
      },
      spec: {
        ...euDeployment.spec,
        cell: 'meridian-dedicated',
        modelProfile: 'llama-meridian',
      },
    };
    // Hand-written in git, bypassing the form: a shared tenant allowlisting Meridian's model,
    // an agent of it placed in Meridian's cell, and a tenant naming Meridian's cell.
    const greedy: Entity = {
      ...northwind,
      spec: {
        ...northwind.spec,
        modelAllowlist: [
          ...(northwind.spec as any).modelAllowlist,
          'llama-meridian',
        ],
      },
    };
    const stowaway: Entity = {
      ...byName('checkout-assistant'),
      metadata: { name: 'stowaway' },
      spec: {
        ...byName('checkout-assistant').spec,
        cell: 'meridian-dedicated',
      },
    };
    const intruder: Entity = {
      ...northwind,
      metadata: { name: 'intruder' },
      spec: {
        ...northwind.spec,
        isolation: 'dedicated',
        cell: 'meridian-dedicated',
      },
    };
    const catalog = () =>
      entitiesOf([
        ...TEST_ENTITIES.filter(e => e !== northwind),
        greedy,
        dedicated,
        meridian,
        privateProfile,
        deployment,
        stowaway,
        intruder,
      ]);

    it("never pushes a dedicated cell's model into another cell's gateway", async () => {
      const entities = catalog();
      const cell = entities.cells.find(
        c => c.metadata.name === 'eu-west-shared-1',
      )!;
      const { state, warnings } = computeDesiredState(cell, entities);
      const tenant = state.tenants.find(t => t.id === 'northwind-retail')!;
      expect(tenant.allowedModels).not.toContain('llama-meridian');
      expect(state.modelProfiles.map(p => p.id)).not.toContain(
        'llama-meridian',
      );
      expect(warnings).toContain(
        'tenant "northwind-retail": llama-meridian is private capacity of the dedicated cell "meridian-dedicated" (tenants: meridian-bank); tenant "northwind-retail" is not hosted there and the profile is not shared with it',
      );
    });

    it('keeps a model private even when its deployment entity does not read as valid', () => {
      // The deployment loses a field its kind requires (e.g. a hand edit): the reader skips
      // it, but its capacity must not turn public with it.
      const broken: Entity = {
        ...deployment,
        metadata: { name: 'llama-meridian' },
        spec: { ...deployment.spec, gpu: undefined },
      };
      const skipped: string[] = [];
      const entities = toPlatformEntities(
        [
          ...TEST_ENTITIES.filter(e => e !== northwind),
          greedy,
          dedicated,
          meridian,
          privateProfile,
          broken,
        ],
        entity => skipped.push(entity.metadata.name),
      );
      expect(skipped).toContain('llama-meridian');
      const cell = entities.cells.find(
        c => c.metadata.name === 'eu-west-shared-1',
      )!;
      const { state } = computeDesiredState(cell, entities);
      expect(
        state.tenants.find(t => t.id === 'northwind-retail')!.allowedModels,
      ).not.toContain('llama-meridian');
      expect(state.modelProfiles.map(p => p.id)).not.toContain(
        'llama-meridian',
      );
    });

    it('gives the dedicated cell its own tenant and model, and nobody else', async () => {
      const entities = catalog();
      const cell = entities.cells.find(
        c => c.metadata.name === 'meridian-dedicated',
      )!;
      const { state, warnings } = computeDesiredState(cell, entities);
      expect(state.tenants.map(t => t.id)).toEqual(['meridian-bank']);
      expect(state.tenants[0].allowedModels).toEqual(['llama-meridian']);
      expect(state.agents).toEqual([]);
      expect(warnings).toContain(
        'agent "stowaway": the cell does not host its tenant "northwind-retail"',
      );
    });
  });
});
