import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

export const examples: TemplateExample[] = [
  {
    description:
      "Push the cell's gateway state once the registered tenant is in the catalog",
    example: yaml.stringify({
      steps: [
        {
          id: 'reconcile',
          action: 'cellport:runtime:reconcile',
          name: 'Provision the gateway',
          input: {
            cell: '${{ parameters.cell }}',
            waitFor: ['tenant:default/${{ parameters.name }}'],
          },
        },
      ],
    }),
  },
];
