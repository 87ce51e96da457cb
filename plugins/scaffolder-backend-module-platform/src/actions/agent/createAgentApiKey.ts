import { InputError } from '@backstage/errors';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import {
  entityRefName,
  formatValidationIssues,
  validatePlatformEntity,
} from '@cellport/plugin-platform-common';
import {
  issuedKeyOutputs,
  issueApiKey,
  outputIssuedKey,
  withAnnotatedKey,
} from '../keys/issueApiKey';
import { PlatformBackendDeps } from '../platformBackend';
import { examples } from './createAgentApiKey.examples';

/**
 * `cellport:agent:create-api-key` creates the API key of a planned agent (`issueApiKey`), bound
 * to the agent: the gateway attributes every call made with it to the agent, whose dashboard
 * then shows that traffic. Only its SHA-256, prefix and creation time go into the Agent's own
 * `cellport.dev/api-keys` annotation (the agent's repository holds it, its tenant's need not
 * change); the reconciler binds it to the agent and the agent's tenant. The key itself is
 * revealed once, from the `revealUrl` page, to whoever ran the template.
 */
export function createAgentApiKeyAction(deps: PlatformBackendDeps) {
  return createTemplateAction({
    id: 'cellport:agent:create-api-key',
    description:
      "Creates an agent's own API key: stored only as a SHA-256 hash in the Agent entity, revealed once to whoever ran the template.",
    examples,
    supportsDryRun: true,
    schema: {
      input: {
        agent: z =>
          z.record(z.any()).describe('The agent cellport:agent:plan returned'),
      },
      output: {
        agent: z =>
          z.record(z.any()).describe('The agent with its key hash annotated'),
        ...issuedKeyOutputs,
      },
    },
    async handler(ctx) {
      const parsed = validatePlatformEntity('Agent', ctx.input.agent);
      if (!parsed.ok) {
        throw new InputError(`agent: ${formatValidationIssues(parsed.issues)}`);
      }
      const name = parsed.entity.metadata.name;
      const issued = await issueApiKey(ctx, deps, {
        tenant: entityRefName(parsed.entity.spec.tenant),
        agent: name,
        checkpointKey: `api-key-agent-${name}`,
        describe: `agent ${name}`,
      });
      ctx.output('agent', withAnnotatedKey(ctx.input.agent, issued));
      outputIssuedKey(ctx, issued);
    },
  });
}
