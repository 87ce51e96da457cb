import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

export const examples: TemplateExample[] = [
  {
    description: 'Write what the plan step checked',
    example: yaml.stringify({
      steps: [
        {
          id: 'render',
          action: 'cellport:inference:render',
          name: 'Render entities and manifests',
          input: {
            entity: '${{ steps.plan.output.entity }}',
            cellRegion: '${{ steps.plan.output.cellRegion }}',
            maxClassification: 'RESTRICTED',
          },
        },
      ],
    }),
  },
];
