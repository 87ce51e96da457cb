import { z } from 'zod';
import { boundedInt, boundedNumber } from './bounds';

/** The API version of every Cellport kind. */
export const PLATFORM_API_VERSION = 'cellport.dev/v1alpha1';

/** DNS-1123 label: lower-case alphanumerics and '-', at most 63 characters. */
export const dnsLabelSchema = z
  .string()
  .max(63, 'must be at most 63 characters')
  .regex(
    /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/,
    'must be a DNS-1123 label: lower-case letters, digits and "-", starting and ending with a letter or digit',
  );

/**
 * A catalog entity's name, as the portal writes ids into the gateway's state and the gateways
 * into their events: at most 63 characters, as Backstage allows, and no `{`, `}` or `:` that
 * could make one tenant's or agent's Redis counters (`cellport:{tenant}:agent:<agent>:…`)
 * another's. ASCII, so the database indexes over several of them stay within PostgreSQL's
 * limit of 2,704 bytes an index row.
 */
export const entityNameSchema = z
  .string()
  .min(1)
  .max(63, 'must be at most 63 characters')
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._-]*$/,
    'must be a catalog entity name: letters, digits, ".", "_" and "-", starting with a letter or digit',
  );

/**
 * A reference to a catalog entity, full (`cell:default/eu-west-shared-1`) or short
 * (`eu-west-shared-1`, resolved against the kind the field expects and the entity's namespace).
 */
export const entityRefSchema = z
  .string()
  .min(1, 'must not be empty')
  .regex(
    /^([A-Za-z][A-Za-z0-9]*:)?([a-z0-9][-a-z0-9_.]*\/)?[A-Za-z0-9][-A-Za-z0-9_.]*$/,
    'must be an entity reference such as "kind:namespace/name" or "name"',
  );

/** Isolation tier of a tenant, and the matching tier of the cell that hosts it (seed 000). */
export const isolationSchema = z.enum(['dedicated', 'shared', 'customer-vpc']);
export type Isolation = z.infer<typeof isolationSchema>;

/** Commercial tier of a tenant. */
export const tenantTierSchema = z.enum([
  'free',
  'basic',
  'premium',
  'enterprise',
]);
export type TenantTier = z.infer<typeof tenantTierSchema>;

/** Data classification, ordered from least to most sensitive (seed 001). */
export const classificationSchema = z.enum([
  'PUBLIC',
  'INTERNAL',
  'CONFIDENTIAL',
  'RESTRICTED',
]);
export type Classification = z.infer<typeof classificationSchema>;

/** True when data of class `data` may be sent somewhere whose ceiling is `ceiling`. */
export function classificationAllowed(
  data: Classification,
  ceiling: Classification,
): boolean {
  const order = classificationSchema.options;
  return order.indexOf(data) <= order.indexOf(ceiling);
}

export const cloudSchema = z.enum(['aws', 'gcp', 'azure', 'on-prem']);
export type Cloud = z.infer<typeof cloudSchema>;

/** A cloud region as its cloud names it: `eu-west-1`, `europe-west4`, `swedencentral`. */
export const regionSchema = z
  .string()
  // Cloud region names are a few dozen characters; one longer is a mistake, and it would be a
  // label on the gateway's metrics and every event.
  .max(64)
  .regex(
    /^[a-z][a-z0-9-]*[a-z0-9]$/,
    'must be a region in lower case, such as "eu-west-1" or "swedencentral"',
  );

/**
 * An amount of US dollars above 0: a budget or a cost ceiling. A billion dollars a month is
 * beyond any tenant's or agent's spend, so anything above it is a typo, not a budget.
 */
export const positiveUsdSchema = boundedNumber({
  min: 0,
  exclusiveMin: true,
  max: 1_000_000_000,
});

export const rateLimitsSchema = z.object({
  /** Up to 10 million a minute (about 170,000 a second): more than a whole cell serves. */
  requestsPerMinute: boundedInt({
    min: 0,
    exclusiveMin: true,
    max: 10_000_000,
  }),
  /** Up to a billion tokens a minute: far beyond any upstream's quota. */
  tokensPerMinute: boundedInt({
    min: 0,
    exclusiveMin: true,
    max: 1_000_000_000,
  }),
});
export type RateLimits = z.infer<typeof rateLimitsSchema>;

/**
 * Capabilities a request may need and a model may offer. `logprobs` (token log probabilities)
 * is the provider's to offer, not the catalog's to declare; `custom-tools` (OpenAI's free-form
 * `type: "custom"` tools) is declared, and never Anthropic's: `profileFeatures`.
 */
export const capabilitySchema = z.enum([
  'tools',
  'vision',
  'json-mode',
  'logprobs',
  'custom-tools',
]);
export type Capability = z.infer<typeof capabilitySchema>;

/** Capabilities a request needs, each once. */
export const requiredCapabilitiesSchema = z
  .array(capabilitySchema)
  .refine(list => new Set(list).size === list.length, {
    error: 'must not name a capability twice',
  });
