import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';
import { planContosoTravel } from './planTenantOnboarding.examples';

export const examples: TemplateExample[] = [
  {
    description: 'Write what the plan step checked',
    example: yaml.stringify({
      steps: [
        planContosoTravel,
        {
          id: 'render',
          action: 'cellport:tenant:render',
          name: 'Render the tenant and its manifests',
          input: {
            tenant: '${{ steps.plan.output.tenant }}',
            cell: '${{ steps.plan.output.cell }}',
            newCell: '${{ steps.plan.output.newCell }}',
          },
        },
      ],
    }),
  },
];
