import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

export const examples: TemplateExample[] = [
  {
    description: 'Write what the plan step checked',
    example: yaml.stringify({
      steps: [
        {
          id: 'render',
          action: 'cellport:agent:render',
          name: 'Render the agent',
          input: { agent: '${{ steps.plan.output.agent }}' },
        },
      ],
    }),
  },
];
