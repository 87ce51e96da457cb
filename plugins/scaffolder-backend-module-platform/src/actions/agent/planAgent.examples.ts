import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

/** The plan step the agent examples start from: a cost-first agent of Northwind Retail. */
export const planReturnsAssistant = {
  id: 'plan',
  action: 'cellport:agent:plan',
  name: 'Check the registration',
  input: {
    name: 'returns-assistant',
    owner: 'group:default/northwind-commerce',
    tenant: 'tenant:default/northwind-retail',
    modelProfiles: ['modelprofile:default/azure-gpt-4o-mini-eu'],
    policy: 'cost',
    fallbackChain: ['modelprofile:default/azure-gpt-4o-eu'],
    requiredCapabilities: ['tools'],
    tools: ['order-lookup'],
    maxCostPerRunUsd: 0.02,
    requestsPerMinute: 120,
    tokensPerMinute: 90000,
  },
};

export const examples: TemplateExample[] = [
  {
    description: 'Plan a cost-first agent of Northwind Retail',
    example: yaml.stringify({ steps: [planReturnsAssistant] }),
  },
];
