import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';
import { planReturnsAssistant } from './planAgent.examples';

export const examples: TemplateExample[] = [
  {
    description: "Create the agent's own key before its entity is written",
    example: yaml.stringify({
      steps: [
        planReturnsAssistant,
        {
          id: 'key',
          action: 'cellport:agent:create-api-key',
          name: "Create the agent's API key",
          input: { agent: '${{ steps.plan.output.agent }}' },
        },
      ],
    }),
  },
];
