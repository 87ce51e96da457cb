import { InputError } from '@backstage/errors';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import {
  API_KEYS_ANNOTATION,
  formatValidationIssues,
  validatePlatformEntity,
} from '@cellport/plugin-platform-common';
import { createHash, randomBytes } from 'node:crypto';
import {
  describeFailure,
  fetchPlatformBackend,
  PlatformBackendDeps,
} from '../platformBackend';
import { examples } from './createTenantApiKey.examples';

/** Where the portal reveals a sealed key (the platform plugin's page). */
export const REVEAL_PATH = '/api-keys/reveal';

/** What a run remembers of its key: never the key itself. */
type CreatedKey = {
  sha256: string;
  prefix: string;
  revealToken: string;
  expiresAt: string;
};

/**
 * `cellport:tenant:create-api-key` creates an API key for a planned tenant. Only its SHA-256
 * and a short prefix go into the Tenant's `cellport.dev/api-keys` annotation (from which the
 * reconciler provisions the cell's gateway); the key itself is sealed in the platform backend
 * for the user running the template, who reveals it once from the `revealUrl` page.
 *
 * So the key appears in no task log, output or checkpoint: the scaffolder keeps task state in
 * its database for good. A retried run reuses the checkpointed key, so a tenant never ends
 * up with a key nobody can reveal. A dry run creates and seals nothing.
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
          z
            .string()
            .regex(
              /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/,
              'must be the name of an agent of the tenant, e.g. checkout-assistant',
            )
            .optional()
            .describe('Bind the key to one agent (its name)'),
      },
      output: {
        tenant: z => z.record(z.any()),
        prefix: z => z.string(),
        revealUrl: z =>
          z.string().describe('The portal page that shows the key, once'),
        expiresAt: z => z.string().describe('When the reveal link expires'),
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
      let madeNow = false;
      const created: CreatedKey = ctx.isDryRun
        ? {
            sha256: 'dry-run',
            prefix: 'cpk_dry-ru',
            revealToken: 'dry-run',
            expiresAt: new Date().toISOString(),
          }
        : await ctx.checkpoint({
            key: `api-key-${name}-${agent ?? 'tenant'}`,
            fn: () => {
              madeNow = true;
              return createAndSeal(deps, {
                tenant: `tenant:default/${name}`,
                agent,
                forUser: ctx.user?.ref,
              });
            },
          });
      // The prefix is what the Tenant page lists; the key itself never reaches the log.
      if (!ctx.isDryRun) {
        ctx.logger.info(
          madeNow
            ? `Made API key ${created.prefix}… for ${name}; the link in the output reveals it once`
            : `Kept API key ${created.prefix}…, made for ${name} by an earlier attempt of this run`,
        );
        // Kept, not replaced: the key may be revealed and in use already.
        if (!madeNow && Date.parse(created.expiresAt) <= Date.now()) {
          ctx.logger.warn(
            `The link to reveal API key ${created.prefix}… expired at ${created.expiresAt}; if nobody revealed it, ${name} needs a new key`,
          );
        }
      }
      const annotations = { ...(ctx.input.tenant.metadata?.annotations ?? {}) };
      const existing = JSON.parse(annotations[API_KEYS_ANNOTATION] ?? '[]');
      annotations[API_KEYS_ANNOTATION] = JSON.stringify([
        ...existing,
        {
          sha256: created.sha256,
          prefix: created.prefix,
          ...(agent ? { agent } : {}),
        },
      ]);
      ctx.output('tenant', {
        ...ctx.input.tenant,
        metadata: { ...ctx.input.tenant.metadata, annotations },
      });
      ctx.output('prefix', created.prefix);
      ctx.output('revealUrl', `${REVEAL_PATH}/${created.revealToken}`);
      ctx.output('expiresAt', created.expiresAt);
    },
  });
}

async function createAndSeal(
  deps: PlatformBackendDeps,
  owner: { tenant: string; agent?: string; forUser?: string },
): Promise<CreatedKey> {
  const apiKey = `cpk_${randomBytes(24).toString('base64url')}`;
  const response = await fetchPlatformBackend(deps, '/api-keys/reveals', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      apiKey,
      tenant: owner.tenant,
      ...(owner.agent ? { agent: `agent:default/${owner.agent}` } : {}),
      ...(owner.forUser ? { forUser: owner.forUser } : {}),
    }),
  });
  // Nothing is written yet: a failed seal leaves no key that nobody could ever see.
  if (!response.ok) {
    throw new Error(
      `Could not seal the new API key for ${
        owner.tenant
      }: ${await describeFailure(response)}`,
    );
  }
  const sealed = (await response.json()) as {
    token: string;
    expiresAt: string;
    prefix: string;
  };
  return {
    sha256: createHash('sha256').update(apiKey).digest('hex'),
    prefix: sealed.prefix,
    revealToken: sealed.token,
    expiresAt: sealed.expiresAt,
  };
}
