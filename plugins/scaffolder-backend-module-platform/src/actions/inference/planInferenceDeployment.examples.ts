import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

export const examples: TemplateExample[] = [
  {
    description: 'Plan Llama 3.1 70B on four H100s in a dedicated cell',
    example: yaml.stringify({
      steps: [
        {
          id: 'plan',
          action: 'cellport:inference:plan',
          name: 'Check the GPU fit',
          input: {
            name: 'llama-3-1-70b-risk',
            owner: 'group:default/meridian-risk-ai',
            cell: 'meridian-dedicated',
            model: 'meta-llama/Llama-3.1-70B-Instruct',
            precision: 'bf16',
            gpuType: 'H100-80GB',
            gpuCount: 4,
            tensorParallelism: 4,
            maxContextLength: 16384,
            maxConcurrentSequences: 16,
            minReplicas: 1,
            maxReplicas: 2,
          },
        },
      ],
    }),
  },
];
