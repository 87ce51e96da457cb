import { Entity } from '@backstage/catalog-model';
import { mockServices } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import { demoCatalog } from '../../__testUtils__/demoCatalog';
import { requiringOwnership } from './requiringOwnership';

// A dedicated cell whose tenant the catalog does not have (yet, or any more).
const orphanCell: Entity = {
  apiVersion: 'cellport.dev/v1alpha1',
  kind: 'Cell',
  metadata: { name: 'orphan-dedicated', namespace: 'default' },
  spec: { owner: 'group:platform-sre', tier: 'dedicated', tenants: ['gone'] },
};
const catalog = catalogServiceMock({
  entities: [...demoCatalog(), orphanCell],
});

/** The production policy's answers: admins ALLOW, others IS_TENANT_OWNER with their claims. */
function permissionsFor(claims: string[] | 'admin') {
  return mockServices.permissions.mock({
    authorizeConditional: async () => [
      claims === 'admin'
        ? { result: 'ALLOW' as any }
        : {
            result: 'CONDITIONAL' as any,
            pluginId: 'platform',
            resourceType: 'platform-tenant',
            conditions: {
              rule: 'IS_TENANT_OWNER',
              resourceType: 'platform-tenant',
              params: { claims },
            },
          },
    ],
  });
}

function planStep(id: string, claims: string[] | 'admin') {
  const handler = jest.fn(async () => {});
  const action = requiringOwnership(
    createTemplateAction({ id, handler }) as any,
    { catalog, permissions: permissionsFor(claims) },
  );
  return {
    handler,
    run: (input: object) =>
      action.handler(createMockActionContext({ input: input as any }) as any),
  };
}

const meridian = ['user:default/priya.raman', 'group:default/meridian-risk-ai'];

describe('requiringOwnership', () => {
  it('leaves actions without a tenant or cell to check as they are', () => {
    const render = createTemplateAction({
      id: 'cellport:agent:render',
      handler: async () => {},
    });
    expect(
      requiringOwnership(render as any, {
        catalog,
        permissions: permissionsFor([]),
      }),
    ).toBe(render);
  });

  it("refuses before the plan runs, and lets the tenant's owners through", async () => {
    const refused = planStep('cellport:agent:plan', meridian);
    await expect(refused.run({ tenant: 'northwind-retail' })).rejects.toThrow(
      /may not register agents for tenant northwind-retail: it is owned by group:northwind-commerce/,
    );
    expect(refused.handler).not.toHaveBeenCalled();
    const allowed = planStep('cellport:agent:plan', meridian);
    await allowed.run({ tenant: 'tenant:default/meridian-bank' });
    expect(allowed.handler).toHaveBeenCalled();
  });

  it("lets only an agent's tenant owners propose a change to it", async () => {
    const refused = planStep('cellport:agent:propose-change', meridian);
    await expect(
      refused.run({ agent: 'checkout-assistant', policy: 'cost' }),
    ).rejects.toThrow(
      /may not propose changes to agent checkout-assistant of tenant northwind-retail/,
    );
    expect(refused.handler).not.toHaveBeenCalled();
    const allowed = planStep('cellport:agent:propose-change', [
      'group:default/northwind-commerce',
    ]);
    await allowed.run({ agent: 'agent:default/checkout-assistant' });
    expect(allowed.handler).toHaveBeenCalled();
  });

  it("makes keys only for the initiator's own tenants, whatever owner the input claims", async () => {
    const claimed = {
      apiVersion: 'cellport.dev/v1alpha1',
      kind: 'Tenant',
      metadata: { name: 'northwind-retail' },
      // A crafted input naming the initiator's group as the owner of someone else's tenant.
      spec: { owner: 'group:default/meridian-risk-ai' },
    };
    const stolen = planStep('cellport:tenant:create-api-key', meridian);
    await expect(stolen.run({ tenant: claimed })).rejects.toThrow(
      /may not make API keys for tenant northwind-retail/,
    );
    expect(stolen.handler).not.toHaveBeenCalled();
    const fresh = planStep('cellport:tenant:create-api-key', meridian);
    await fresh.run({
      tenant: { ...claimed, metadata: { name: 'meridian-labs' } },
    });
    expect(fresh.handler).toHaveBeenCalled();

    const agentOf = (tenant: string) => ({
      agent: { kind: 'Agent', metadata: { name: 'x' }, spec: { tenant } },
    });
    const theirs = planStep('cellport:agent:create-api-key', meridian);
    await expect(theirs.run(agentOf('northwind-retail'))).rejects.toThrow(
      /may not make API keys for agents of tenant northwind-retail: only its owners/,
    );
    const future = planStep('cellport:agent:create-api-key', meridian);
    await expect(future.run(agentOf('meridian-future'))).rejects.toThrow(
      /tenant meridian-future: it is not in the catalog/,
    );
    const own = planStep('cellport:agent:create-api-key', meridian);
    await own.run(agentOf('tenant:default/meridian-bank'));
    expect(own.handler).toHaveBeenCalled();
  });

  it('leaves a tenant or cell the catalog does not have to the plan, which names the field', async () => {
    const agent = planStep('cellport:agent:plan', meridian);
    await agent.run({ tenant: 'no-such-tenant' });
    expect(agent.handler).toHaveBeenCalled();
    const inference = planStep('cellport:inference:plan', meridian);
    await inference.run({ cell: 'no-such-cell' });
    expect(inference.handler).toHaveBeenCalled();
  });

  it('keeps a dedicated cell without a tenant in the catalog to the admin groups', async () => {
    const member = planStep('cellport:inference:plan', meridian);
    await expect(member.run({ cell: 'orphan-dedicated' })).rejects.toThrow(
      'it is a dedicated cell with no tenant in the catalog',
    );
    const admin = planStep('cellport:inference:plan', 'admin');
    await admin.run({ cell: 'orphan-dedicated' });
    expect(admin.handler).toHaveBeenCalled();
  });

  it('lets anyone in a group use a shared cell', async () => {
    const shared = planStep('cellport:inference:plan', meridian);
    await shared.run({ cell: 'cell:default/eu-west-shared-1' });
    expect(shared.handler).toHaveBeenCalled();
  });
});
