import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

export const examples: TemplateExample[] = [
  {
    description: "Create the tenant's first key before its entity is written",
    example: yaml.stringify({
      steps: [
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
