import { Entity } from '@backstage/catalog-model';
import { createMockDirectory } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import { validatePlatformEntity } from '@cellport/plugin-platform-common';
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { demoCatalog } from '../../__testUtils__/demoCatalog';
import { createPlanAgentAction } from './planAgent';
import { createRenderAgentAction } from './renderAgent';

const demoEntities: Entity[] = demoCatalog();

const action = createPlanAgentAction({
  catalog: catalogServiceMock({ entities: demoEntities }),
});

const returns = {
  name: 'returns-assistant',
  owner: 'group:default/northwind-commerce',
  tenant: 'tenant:default/northwind-retail',
  modelProfiles: ['modelprofile:default/azure-gpt-4o-mini-eu'],
  policy: 'cost',
  fallbackChain: ['modelprofile:default/azure-gpt-4o-eu'],
  requiredCapabilities: ['tools'],
  tools: ['order-lookup'],
  maxCostPerRunUsd: 0.02,
  timeToFirstTokenP95Ms: 800,
};

async function plan(input: Record<string, unknown>) {
  const ctx = createMockActionContext({ input: input as any });
  await action.handler(ctx as any);
  return Object.fromEntries((ctx.output as jest.Mock).mock.calls);
}

describe('cellport:agent:plan', () => {
  it('places the agent in its tenant cell and names the model alias it calls', async () => {
    const out = await plan(returns);
    expect(out.agent.spec).toMatchObject({
      tenant: 'northwind-retail',
      cell: 'eu-west-shared-1',
      modelProfiles: ['azure-gpt-4o-mini-eu'],
      routing: { policy: 'cost', fallbackChain: ['azure-gpt-4o-eu'] },
    });
    expect(out.agent.spec.slos[0]).toMatchObject({
      metric: 'time-to-first-token',
      thresholdMs: 800,
    });
    expect(out.modelAlias).toBe('azure-gpt-4o-mini-eu');
  });

  it('refuses models off the allowlist or without the required capabilities', async () => {
    await expect(
      plan({
        ...returns,
        modelProfiles: ['gpt-4o-mini', 'azure-gpt-4o-mini-eu'],
        requiredCapabilities: ['vision'],
      }),
    ).rejects.toThrow(
      "modelProfiles[0]: gpt-4o-mini is not on northwind-retail's model allowlist; " +
        'modelProfiles[1]: azure-gpt-4o-mini-eu lacks vision',
    );
  });

  it("judges capabilities as the gateway does: logprobs are the protocol's, custom tools never Anthropic's", async () => {
    // Azure OpenAI returns logprobs though the profile does not declare them.
    const out = await plan({ ...returns, requiredCapabilities: ['logprobs'] });
    expect(out.agent.spec.routing.requiredCapabilities).toEqual(['logprobs']);
    // Custom tools are declared; this profile does not.
    await expect(
      plan({ ...returns, requiredCapabilities: ['custom-tools'] }),
    ).rejects.toThrow('azure-gpt-4o-mini-eu lacks custom-tools');
  });

  it("refuses a private model of another tenant's cell even on a hand-edited allowlist", async () => {
    const northwind = demoEntities.find(
      e => e.metadata.name === 'northwind-retail',
    )!;
    // Edited in git, past the form: the allowlist names Meridian's dedicated model.
    const edited: Entity = {
      ...northwind,
      spec: {
        ...northwind.spec,
        modelAllowlist: [
          ...(northwind.spec as any).modelAllowlist,
          'llama-3-1-70b-meridian',
        ],
      },
    };
    const planAgainst = createPlanAgentAction({
      catalog: catalogServiceMock({
        entities: [...demoEntities.filter(e => e !== northwind), edited],
      }),
    });
    const ctx = createMockActionContext({
      input: {
        ...returns,
        requiredCapabilities: [],
        fallbackChain: ['llama-3-1-70b-meridian'],
      } as any,
    });
    await expect(planAgainst.handler(ctx as any)).rejects.toThrow(
      'fallbackChain[0]: llama-3-1-70b-meridian is private capacity of the dedicated cell "meridian-dedicated" (tenants: meridian-bank); tenant "northwind-retail" is not hosted there',
    );
  });

  it('writes the names as the catalog spells them, whatever case they were given in', async () => {
    const out = await plan({
      ...returns,
      tenant: 'tenant:default/Northwind-Retail',
      cell: 'EU-West-Shared-1',
      modelProfiles: ['modelprofile:default/Azure-GPT-4o-Mini-EU'],
      fallbackChain: ['Azure-GPT-4o-EU'],
    });
    expect(out.agent.spec).toMatchObject({
      tenant: 'northwind-retail',
      cell: 'eu-west-shared-1',
      modelProfiles: ['azure-gpt-4o-mini-eu'],
      routing: { fallbackChain: ['azure-gpt-4o-eu'] },
    });
    expect(out.modelAlias).toBe('azure-gpt-4o-mini-eu');
  });

  it('refuses a cell that does not host the tenant, and unknown references', async () => {
    await expect(
      plan({ ...returns, cell: 'meridian-dedicated' }),
    ).rejects.toThrow(
      'cell: meridian-dedicated does not host tenant northwind-retail',
    );
    await expect(plan({ ...returns, tenant: 'globex' })).rejects.toThrow(
      'tenant: tenant:default/globex does not exist in the catalog',
    );
    // An entity of another kind, not a crash on its missing Tenant spec.
    await expect(
      plan({ ...returns, tenant: 'agent:default/checkout-assistant' }),
    ).rejects.toThrow(
      'tenant: agent:default/checkout-assistant is not a Tenant',
    );
    await expect(
      plan({ ...returns, name: 'checkout-assistant' }),
    ).rejects.toThrow('name: an agent "checkout-assistant" already exists');
  });

  it("gives the agent its own rate limits, both or neither, inside its tenant's", async () => {
    const out = await plan({
      ...returns,
      requestsPerMinute: 120,
      tokensPerMinute: 90000,
    });
    expect(out.agent.spec.rateLimits).toEqual({
      requestsPerMinute: 120,
      tokensPerMinute: 90000,
    });
    expect((await plan(returns)).agent.spec).not.toHaveProperty('rateLimits');
    await expect(plan({ ...returns, requestsPerMinute: 120 })).rejects.toThrow(
      'spec.rateLimits.tokensPerMinute: is required',
    );
    // northwind-retail allows 600 requests and 400,000 tokens a minute.
    await expect(
      plan({ ...returns, requestsPerMinute: 900, tokensPerMinute: 500000 }),
    ).rejects.toThrow(
      "rateLimits.requestsPerMinute: 900 is above tenant northwind-retail's 600 requests per minute; " +
        "rateLimits.tokensPerMinute: 500000 is above tenant northwind-retail's 400000 tokens per minute",
    );
  });

  it('names the field of bad input', async () => {
    await expect(plan({ ...returns, policy: 'fastest' })).rejects.toThrow(
      'spec.routing.policy: expected one of quality | balanced | cost',
    );
    await expect(plan({ ...returns, maxCostPerRunUsd: -1 })).rejects.toThrow(
      'spec.runBudget.maxCostPerRunUsd: must be greater than 0',
    );
  });
});

describe('cellport:agent:render', () => {
  it('writes a valid Agent entity', async () => {
    const { agent } = await plan(returns);
    const workspace = createMockDirectory();
    await createRenderAgentAction().handler(
      createMockActionContext({
        input: { agent },
        workspacePath: workspace.path,
      }) as any,
    );
    const written = parse(
      fs.readFileSync(path.join(workspace.path, 'catalog-info.yaml'), 'utf8'),
    );
    expect(validatePlatformEntity('Agent', written).ok).toBe(true);
  });
});
