import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

/** The plan step the inference examples start from: Llama 3.1 70B on four H100s. */
export const planLlamaOnH100s = {
  id: 'plan',
  action: 'cellport:inference:plan',
  name: 'Check the GPU fit',
  input: {
    name: 'llama-3-1-70b-eu',
    owner: 'group:default/northwind-data',
    cell: 'eu-west-shared-1',
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
};

export const examples: TemplateExample[] = [
  {
    description:
      "Plan Llama 3.1 70B on four H100s, two replicas at most, in a shared cell's GPU pool",
    example: yaml.stringify({ steps: [planLlamaOnH100s] }),
  },
];
