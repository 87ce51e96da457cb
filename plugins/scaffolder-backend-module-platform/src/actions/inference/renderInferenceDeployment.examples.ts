import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';
import { planLlamaOnH100s } from './planInferenceDeployment.examples';

export const examples: TemplateExample[] = [
  {
    description: 'Write what the plan step checked',
    example: yaml.stringify({
      steps: [
        planLlamaOnH100s,
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
