import { InputError } from '@backstage/errors';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import {
  API_KEYS_ANNOTATION,
  formatValidationIssues,
  validatePlatformEntity,
} from '@cellport/plugin-platform-common';
import { createHash, randomBytes } from 'node:crypto';
import { examples } from './createTenantApiKey.examples';

/**
 * `cellport:tenant:create-api-key` creates an API key for a planned tenant: the key is
 * returned once as `apiKey`, and only its SHA-256 and a short prefix are added to the Tenant's
 * `cellport.dev/api-keys` annotation, from which the reconciler provisions the cell's gateway.
 * A retried run returns the same key (it is checkpointed), so a tenant never ends up with a
 * key nobody saw. A dry run creates no key.
 */
export function createTenantApiKeyAction() {
  return createTemplateAction({
    id: 'cellport:tenant:create-api-key',
    description:
      "Creates a tenant's API key: shown once, stored only as a SHA-256 hash in the Tenant entity.",
    examples,
    supportsDryRun: true,
    schema: {
      input: {
        tenant: z =>
          z
            .record(z.any())
            .describe('The tenant cellport:tenant:plan returned'),
        agent: z => z.string().optional().describe('Bind the key to one agent'),
      },
      output: {
        tenant: z => z.record(z.any()),
        apiKey: z => z.string(),
        prefix: z => z.string(),
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
      const key = ctx.isDryRun
        ? 'cpk_dry-run-no-key-created'
        : await ctx.checkpoint({
            key: `api-key-${name}-${ctx.input.agent ?? 'tenant'}`,
            fn: async () => `cpk_${randomBytes(24).toString('base64url')}`,
          });
      const prefix = key.slice(0, 10);
      const annotations = { ...(ctx.input.tenant.metadata?.annotations ?? {}) };
      const existing = JSON.parse(annotations[API_KEYS_ANNOTATION] ?? '[]');
      annotations[API_KEYS_ANNOTATION] = JSON.stringify([
        ...existing,
        {
          sha256: createHash('sha256').update(key).digest('hex'),
          prefix,
          ...(ctx.input.agent ? { agent: ctx.input.agent } : {}),
        },
      ]);
      ctx.output('tenant', {
        ...ctx.input.tenant,
        metadata: { ...ctx.input.tenant.metadata, annotations },
      });
      ctx.output('apiKey', key);
      ctx.output('prefix', prefix);
    },
  });
}
