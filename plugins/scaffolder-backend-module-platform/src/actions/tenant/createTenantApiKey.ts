import { InputError } from '@backstage/errors';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import {
  dnsLabelSchema,
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
import { platformSchema } from '../platformSchema';
import { examples } from './createTenantApiKey.examples';

/**
 * `cellport:tenant:create-api-key` creates an API key for a planned tenant (`issueApiKey`).
 * Only its SHA-256, a short prefix and when it was made go into the Tenant's
 * `cellport.dev/api-keys` annotation (from which the reconciler provisions the cell's
 * gateway); the key itself is sealed in the platform backend for the user running the
 * template, who reveals it once from the `revealUrl` page.
 */
export function createTenantApiKeyAction(deps: PlatformBackendDeps) {
  return createTemplateAction({
    id: 'cellport:tenant:create-api-key',
    description:
      "Creates a tenant's API key: stored only as a SHA-256 hash in the Tenant entity, revealed once to whoever ran the template.",
    examples,
    supportsDryRun: true,
    schema: {
      input: {
        tenant: z =>
          z
            .record(z.any())
            .describe('The tenant cellport:tenant:plan returned'),
        agent: z =>
          platformSchema(z, dnsLabelSchema)
            .optional()
            .describe(
              'Bind the key to one agent of the tenant (its name, e.g. checkout-assistant)',
            ),
      },
      output: {
        tenant: z => z.record(z.any()),
        ...issuedKeyOutputs,
      },
    },
    async handler(ctx) {
      const parsed = validatePlatformEntity('Tenant', ctx.input.tenant);
      if (!parsed.ok) {
        throw new InputError(
          `tenant: ${formatValidationIssues(parsed.issues)}`,
        );
      }
      const name = parsed.entity.metadata.name;
      const agent = ctx.input.agent;
      const issued = await issueApiKey(ctx, deps, {
        tenant: name,
        agent,
        checkpointKey: `api-key-${name}-${agent ?? 'tenant'}`,
        describe: name,
      });
      ctx.output(
        'tenant',
        withAnnotatedKey(ctx.input.tenant, issued, agent ? { agent } : {}),
      );
      outputIssuedKey(ctx, issued);
    },
  });
}
