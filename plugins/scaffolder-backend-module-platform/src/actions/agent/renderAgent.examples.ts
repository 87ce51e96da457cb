import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';
import { planReturnsAssistant } from './planAgent.examples';

export const examples: TemplateExample[] = [
  {
    description: 'Write what the plan step checked',
    example: yaml.stringify({
      steps: [
        planReturnsAssistant,
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
