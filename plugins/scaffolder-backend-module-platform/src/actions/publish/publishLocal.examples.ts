import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

export const examples: TemplateExample[] = [
  {
    description:
      'Publish the onboarding files of a tenant to a local repository',
    example: yaml.stringify({
      steps: [
        {
          id: 'publish',
          action: 'cellport:publish:local',
          name: 'Publish',
          input: {
            repoName: 'tenant-northwind-retail',
            commitMessage: 'Onboard Northwind Retail',
          },
        },
      ],
    }),
  },
];
