import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

/** The plan step the tenant examples start from: a tenant in the EU West shared cell. */
export const planContosoTravel = {
  id: 'plan',
  action: 'cellport:tenant:plan',
  name: 'Check the onboarding',
  input: {
    name: 'contoso-travel',
    displayName: 'Contoso Travel',
    owner: 'group:default/contoso-travel',
    tier: 'basic',
    isolation: 'shared',
    cell: 'cell:default/eu-west-shared-1',
    region: 'eu-west-1',
    residencyPinned: true,
    residencyRegions: ['eu-west-1', 'swedencentral'],
    dataClassification: 'INTERNAL',
    monthlyBudgetUsd: 1200,
    requestsPerMinute: 300,
    tokensPerMinute: 200000,
    modelAllowlist: ['azure-gpt-4o-mini-eu'],
  },
};

export const examples: TemplateExample[] = [
  {
    description: 'Plan a tenant in the EU West shared cell, pinned to the EU',
    example: yaml.stringify({ steps: [planContosoTravel] }),
  },
];
