import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

/** The publish step the catalog example starts from. */
export const publishNorthwindRetail = {
  id: 'publish',
  action: 'cellport:publish:local',
  name: 'Publish',
  input: {
    repoName: 'tenant-northwind-retail',
    commitMessage: 'Onboard Northwind Retail',
  },
};

export const examples: TemplateExample[] = [
  {
    description:
      'Publish the onboarding files of a tenant to a local repository',
    example: yaml.stringify({ steps: [publishNorthwindRetail] }),
  },
];
