import { InputError } from '@backstage/errors';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import {
  formatValidationIssues,
  validatePlatformEntity,
} from '@cellport/plugin-platform-common';
import fs from 'node:fs/promises';
import path from 'node:path';
import { stringify } from 'yaml';
import { examples } from './renderAgent.examples';

/**
 * `cellport:agent:render` writes a planned Agent into the workspace as `catalog-info.yaml`.
 * Once registered, the reconciler pushes its routing policy to its cell's gateway.
 */
export function createRenderAgentAction() {
  return createTemplateAction({
    id: 'cellport:agent:render',
    description: 'Writes an Agent entity into the workspace.',
    examples,
    supportsDryRun: true,
    schema: {
      input: {
        agent: z =>
          z.record(z.any()).describe('The agent cellport:agent:plan returned'),
      },
    },
    async handler(ctx) {
      const agent = validatePlatformEntity('Agent', ctx.input.agent);
      if (!agent.ok)
        throw new InputError(`agent: ${formatValidationIssues(agent.issues)}`);
      await fs.writeFile(
        path.join(ctx.workspacePath, 'catalog-info.yaml'),
        stringify(ctx.input.agent),
      );
    },
  });
}
