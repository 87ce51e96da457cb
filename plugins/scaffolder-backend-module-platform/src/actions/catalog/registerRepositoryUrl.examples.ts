import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

export const examples: TemplateExample[] = [
  {
    description:
      'Register the catalog file of the repository a GitHub publish step created',
    example: yaml.stringify({
      steps: [
        {
          id: 'register',
          action: 'cellport:catalog:register-url',
          name: 'Register in the catalog',
          input: {
            repoContentsUrl:
              'https://github.com/northwind/agent-checkout-assistant/blob/main',
            catalogInfoPath: '/catalog-info.yaml',
          },
        },
      ],
    }),
  },
];
