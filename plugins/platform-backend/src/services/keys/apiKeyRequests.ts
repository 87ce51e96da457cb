import { z } from 'zod';

/** An entity namespace or name, as the catalog allows them. */
const ENTITY_PART = '[A-Za-z0-9](?:[A-Za-z0-9._-]{0,61}[A-Za-z0-9])?';

const entityRef = (kind: string) =>
  z
    .string()
    .regex(
      new RegExp(`^${kind}:${ENTITY_PART}/${ENTITY_PART}$`),
      `must be a ${kind} entity ref such as ${kind}:default/name`,
    );

/** What the scaffolder seals after creating a key (`POST /api-keys/reveals`). */
export const sealApiKeyBody = z.object(
  {
    apiKey: z
      .string()
      .regex(/^cpk_[A-Za-z0-9_-]{20,200}$/, 'must be a Cellport API key'),
    tenant: entityRef('tenant'),
    agent: entityRef('agent').optional(),
    forUser: entityRef('user').optional(),
  },
  { error: 'must be a JSON object' },
);

/** The token of a reveal link: 32 random bytes, base64url. */
export const revealTokenParam = z.object({
  token: z
    .string()
    .regex(/^[A-Za-z0-9_-]{43}$/, 'must be the token of a reveal link'),
});

/** A tenant or agent: its name, or its entity ref as a page holding the entity has it. */
const entityName = (kind: string) =>
  z
    .string()
    .regex(
      new RegExp(`^(?:${kind}:(?:${ENTITY_PART}/)?)?${ENTITY_PART}$`),
      `must be a ${kind} name or entity ref such as ${kind}:default/name`,
    )
    .transform(value => value.slice(value.lastIndexOf('/') + 1))
    .transform(value => value.slice(value.lastIndexOf(':') + 1));

/** `GET /api-keys`: the keys of one tenant (and its agents) or of one agent. */
export const listApiKeysQuery = z
  .object({
    tenant: entityName('tenant').optional(),
    agent: entityName('agent').optional(),
  })
  .refine(q => (q.tenant === undefined) !== (q.agent === undefined), {
    message: 'give exactly one of tenant and agent',
    path: ['tenant'],
  });

/** `POST /api-keys/rotate`: which key (its tenant and prefix) to replace. */
export const rotateApiKeyBody = z.object(
  {
    tenant: entityName('tenant'),
    prefix: z
      .string()
      .regex(
        /^[A-Za-z0-9_-]{4,16}$/,
        'must be the prefix of an API key, e.g. cpk_AbC123',
      ),
  },
  { error: 'must be a JSON object' },
);
