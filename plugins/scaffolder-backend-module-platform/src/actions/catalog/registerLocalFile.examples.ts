import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';
import { publishNorthwindRetail } from '../publish/publishLocal.examples';

export const examples: TemplateExample[] = [
  {
    description: 'Register what the publish step wrote',
    example: yaml.stringify({
      steps: [
        publishNorthwindRetail,
        {
          id: 'register',
          action: 'cellport:catalog:register-file',
          name: 'Register',
          input: {
            catalogInfoPath: '${{ steps.publish.output.catalogInfoPath }}',
          },
        },
      ],
    }),
  },
];
