import { ActionContext } from '@backstage/plugin-scaffolder-node';
import type { z as zod } from 'zod/v3';
import {
  API_KEYS_ANNOTATION,
  AnnotatedApiKey,
} from '@cellport/plugin-platform-common';
import { mintApiKey } from '@cellport/plugin-platform-node';
import {
  describeFailure,
  fetchPlatformBackend,
  PlatformBackendDeps,
} from '../platformBackend';

/** Where the portal reveals a sealed key (the platform plugin's page). */
export const REVEAL_PATH = '/api-keys/reveal';

/** What a run remembers of its key: never the key itself. A type, so checkpoints take it. */
export type IssuedApiKey = {
  sha256: string;
  prefix: string;
  revealToken: string;
  /** When the reveal link expires. */
  expiresAt: string;
  /** When the key was made; older checkpoints have none. */
  createdAt?: string;
};

/** The part of a scaffolder action context that issuing a key uses. */
type KeyActionContext = Pick<
  ActionContext<any, any>,
  'isDryRun' | 'logger' | 'user' | 'checkpoint'
>;

/**
 * Makes an API key for a tenant (bound to one of its agents, if given) and seals it in the
 * platform backend for the user running the template, who reveals it once. The one way the
 * scaffolder's key actions make keys.
 *
 * The key appears in no task log, output or checkpoint (the scaffolder keeps task state in its
 * database for good): the checkpoint holds its hash, prefix and reveal token. A retried run
 * reuses the checkpointed key, so an entity never ends up with a key nobody can reveal. A dry
 * run makes and seals nothing.
 */
export async function issueApiKey(
  ctx: KeyActionContext,
  deps: PlatformBackendDeps,
  owner: {
    /** Tenant name. */
    tenant: string;
    /** Agent name, for an agent-bound key. */
    agent?: string;
    /** Names the checkpoint; the same on every attempt of a run. */
    checkpointKey: string;
    /** Who the key is for, in the log: e.g. `contoso-travel`. */
    describe: string;
  },
): Promise<IssuedApiKey> {
  if (ctx.isDryRun) {
    return {
      sha256: 'dry-run',
      prefix: 'cpk_dry-ru',
      revealToken: 'dry-run',
      expiresAt: new Date().toISOString(),
    };
  }
  let madeNow = false;
  const issued = await ctx.checkpoint({
    key: owner.checkpointKey,
    fn: () => {
      madeNow = true;
      return mintAndSeal(deps, {
        tenant: `tenant:default/${owner.tenant}`,
        agent: owner.agent && `agent:default/${owner.agent}`,
        forUser: ctx.user?.ref,
      });
    },
  });
  // The prefix is what the Tenant and Agent pages list; the key itself never reaches the log.
  ctx.logger.info(
    madeNow
      ? `Made API key ${issued.prefix}… for ${owner.describe}; the link in the output reveals it once`
      : `Kept API key ${issued.prefix}…, made for ${owner.describe} by an earlier attempt of this run`,
  );
  // Kept, not replaced: the key may be revealed and in use already.
  if (!madeNow && Date.parse(issued.expiresAt) <= Date.now()) {
    ctx.logger.warn(
      `The link to reveal API key ${issued.prefix}… expired at ${issued.expiresAt}; if nobody revealed it, ${owner.describe} needs a new key`,
    );
  }
  return issued;
}

/** The outputs every key action has besides its entity: what the run's page links and says. */
export const issuedKeyOutputs = {
  prefix: (z: typeof zod) => z.string(),
  revealUrl: (z: typeof zod) =>
    z.string().describe('The portal page that shows the key, once'),
  expiresAt: (z: typeof zod) =>
    z.string().describe('When the reveal link expires (ISO 8601)'),
  expiresAtText: (z: typeof zod) =>
    z
      .string()
      .describe(
        'When the reveal link expires, for people: "10:15 UTC on 3 December 2026"',
      ),
};

/**
 * A time as a person reads it on the run's page. The run's page is server-rendered text that
 * is read later, so it names the zone (UTC) rather than counting minutes from now.
 */
export function readableUtc(iso: string): string {
  const d = new Date(iso);
  const time = d.toISOString().slice(11, 16);
  const date = d.toLocaleDateString('en-GB', {
    timeZone: 'UTC',
    day: 'numeric',
    month: 'long',
    year: 'numeric',
  });
  return `${time} UTC on ${date}`;
}

/** Sets `issuedKeyOutputs` from an issued key. */
export function outputIssuedKey(
  ctx: Pick<ActionContext<any, any>, 'output'>,
  issued: IssuedApiKey,
) {
  ctx.output('prefix', issued.prefix);
  ctx.output('revealUrl', `${REVEAL_PATH}/${issued.revealToken}`);
  ctx.output('expiresAt', issued.expiresAt);
  ctx.output('expiresAtText', readableUtc(issued.expiresAt));
}

/**
 * The entity with the key's hash, prefix and creation time appended to its
 * `cellport.dev/api-keys`.
 */
export function withAnnotatedKey<T extends { metadata?: any }>(
  entity: T,
  issued: IssuedApiKey,
  binding: Pick<AnnotatedApiKey, 'agent'> = {},
): T {
  const key: AnnotatedApiKey = {
    sha256: issued.sha256,
    prefix: issued.prefix,
    ...binding,
    ...(issued.createdAt ? { createdAt: issued.createdAt } : {}),
  };
  const annotations = { ...(entity.metadata?.annotations ?? {}) };
  const existing = JSON.parse(annotations[API_KEYS_ANNOTATION] ?? '[]');
  annotations[API_KEYS_ANNOTATION] = JSON.stringify([...existing, key]);
  return { ...entity, metadata: { ...entity.metadata, annotations } };
}

async function mintAndSeal(
  deps: PlatformBackendDeps,
  owner: { tenant: string; agent?: string; forUser?: string },
): Promise<IssuedApiKey> {
  const minted = mintApiKey();
  const response = await fetchPlatformBackend(deps, '/api-keys/reveals', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      apiKey: minted.apiKey,
      tenant: owner.tenant,
      ...(owner.agent ? { agent: owner.agent } : {}),
      ...(owner.forUser ? { forUser: owner.forUser } : {}),
    }),
  });
  // Nothing is written yet: a failed seal leaves no key that nobody could ever see.
  if (!response.ok) {
    throw new Error(
      `Could not seal the new API key for ${
        owner.agent ?? owner.tenant
      }: ${await describeFailure(response)}`,
    );
  }
  const sealed = (await response.json()) as {
    token: string;
    expiresAt: string;
    prefix: string;
  };
  return {
    sha256: minted.sha256,
    prefix: sealed.prefix,
    revealToken: sealed.token,
    expiresAt: sealed.expiresAt,
    createdAt: new Date().toISOString(),
  };
}
