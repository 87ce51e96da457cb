import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';
import { planContosoTravel } from './planTenantOnboarding.examples';

export const examples: TemplateExample[] = [
  {
    description: "Create the tenant's first key before its entity is written",
    example: yaml.stringify({
      steps: [
        planContosoTravel,
        {
          id: 'key',
          action: 'cellport:tenant:create-api-key',
          name: 'Create the first API key',
          input: { tenant: '${{ steps.plan.output.tenant }}' },
        },
      ],
    }),
  },
];
