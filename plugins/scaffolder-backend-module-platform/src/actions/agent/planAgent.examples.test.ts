import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import yaml from 'yaml';
import { demoCatalog } from '../../__testUtils__/demoCatalog';
import { runExample } from '../../__testUtils__/runExample';
import { createPlanAgentAction } from './planAgent';
import { examples } from './planAgent.examples';

describe('cellport:agent:plan examples', () => {
  const action = createPlanAgentAction({
    catalog: catalogServiceMock({ entities: demoCatalog() }),
  });

  it('Example 1: plans a cost-first agent of Northwind Retail in its cell', async () => {
    const { plan } = await runExample(examples[0], { actions: [action] });
    expect(plan.agentRef).toBe('agent:default/returns-assistant');
    expect(plan.modelAlias).toBe('azure-gpt-4o-mini-eu');
    expect(plan.agent.spec).toMatchObject({
      tenant: 'northwind-retail',
      cell: 'eu-west-shared-1',
      routing: { policy: 'cost', fallbackChain: ['azure-gpt-4o-eu'] },
      runBudget: { maxCostPerRunUsd: 0.02 },
      rateLimits: { requestsPerMinute: 120, tokensPerMinute: 90000 },
    });
  });

  it('refuses, before the handler, an example whose input its schema does not take', async () => {
    const [step] = yaml.parse(examples[0].example).steps;
    const broken = {
      ...examples[0],
      example: yaml.stringify({
        steps: [{ ...step, input: { ...step.input, policy: 'fastest' } }],
      }),
    };
    await expect(runExample(broken, { actions: [action] })).rejects.toThrow(
      /Step plan \(cellport:agent:plan\) .* input its action refuses: .*policy/,
    );
  });
});
