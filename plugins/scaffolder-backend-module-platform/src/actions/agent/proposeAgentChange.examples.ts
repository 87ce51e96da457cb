import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

/** The recommendations card's first proposal: a cheaper policy, with its evidence. */
export const proposeCostPolicy = {
  id: 'propose',
  action: 'cellport:agent:propose-change',
  name: 'Propose the change',
  input: {
    agent: 'agent:default/returns-assistant',
    policy: 'cost',
    reason:
      'Recommendation 1: saves $12.40 a month (replayed 2016 decisions of 7 days: $4.10 → $1.21). Risk: 410 requests served from a lower tier.',
  },
};

/** A proposal of preferred models: the economy profile the tenant may use, alone. */
export const proposePreferredModels = {
  id: 'propose',
  action: 'cellport:agent:propose-change',
  name: 'Propose the change',
  input: {
    agent: 'returns-assistant',
    preferredModels: ['azure-gpt-4o-mini-eu'],
  },
};

export const examples: TemplateExample[] = [
  {
    description:
      'Propose the cost policy for an agent as a commit on a new branch of its repository',
    example: yaml.stringify({ steps: [proposeCostPolicy] }),
  },
  {
    description: 'Propose an agent prefer one model profile its tenant may use',
    example: yaml.stringify({ steps: [proposePreferredModels] }),
  },
];
