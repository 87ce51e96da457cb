import { z } from 'zod';
import {
  boundedInt,
  boundedNumber,
  contextLengthSchema,
} from '../kinds/bounds';
import {
  capabilitySchema,
  classificationSchema,
  entityNameSchema,
  positiveUsdSchema,
  rateLimitsSchema,
  requiredCapabilitiesSchema,
  regionSchema,
} from '../kinds/common';
import { textSchema } from './events';
import { routingPolicySchema } from '../kinds/agent';
import {
  modelTypeSchema,
  providerSchema,
  qualityTierSchema,
  upstreamModelSchema,
} from '../kinds/modelProfile';

/**
 * The desired state a cell's gateway runs on, pushed whole by the portal's reconciler through
 * the gateway's control API. The gateway validates a push whole and swaps it in atomically;
 * every RoutingDecision records the `version` it was made under. Objects are strict: a field
 * the gateway does not know (a misspelt `expires_at`) is refused by name, never dropped, as a
 * dropped expiry or cap would leave a key or an agent unbounded. Numbers are bounded as the
 * catalog's kinds bound them.
 */
export const GATEWAY_STATE_SCHEMA_VERSION = 1;

const sha256Schema = z
  .string()
  .regex(/^[a-f0-9]{64}$/, 'must be a lower-case hex SHA-256 digest');
const idSchema = entityNameSchema;

export const gatewayApiKeySchema = z.strictObject({
  /** SHA-256 of the key; keys themselves never leave the place they were created. */
  sha256: sha256Schema,
  /** First characters of the key, shown to humans to tell keys apart. */
  prefix: z.string().min(4).max(16),
  tenant: idSchema,
  agent: idSchema.optional(),
  /** A rotated-out key stays valid until this time, so callers can switch over. */
  expiresAt: z.iso.datetime({ offset: true }).optional(),
});
export type GatewayApiKey = z.infer<typeof gatewayApiKeySchema>;

/** Model profile ids in order, each once: a profile named twice would be tried twice. */
const profileIdsSchema = z
  .array(idSchema)
  .refine(ids => new Set(ids).size === ids.length, {
    error: 'must not name a profile twice (it would be called again)',
  });

export const gatewayTenantSchema = z.strictObject({
  id: idSchema,
  monthlyBudgetUsd: positiveUsdSchema,
  // Strict here, as the rest of the state: a limit the gateway does not know is refused by
  // name, not dropped (a catalog entity may carry more).
  limits: rateLimitsSchema.strict(),
  /** Model profile ids the tenant may use. */
  allowedModels: profileIdsSchema,
  /** Regions a request may be served from; empty means any. */
  residencyRegions: z.array(regionSchema),
  classification: classificationSchema,
  promptCache: z.boolean(),
  /**
   * What the gateway's telemetry may hold of this tenant's requests. Prompt and completion
   * text stay out of traces unless `captureContent` is true.
   */
  telemetry: z
    .strictObject({ captureContent: z.boolean().optional() })
    .optional(),
});
export type GatewayTenant = z.infer<typeof gatewayTenantSchema>;

export const gatewayModelProfileSchema = z.strictObject({
  id: idSchema,
  /** The name callers use in `model`; several profiles may share an alias. */
  // Text a request can hold: an alias with a NUL would be listed and never reachable.
  alias: textSchema(1, 200),
  /**
   * The endpoint the profile serves: chat profiles only `/v1/chat/completions`, embeddings
   * profiles only `/v1/embeddings`. Chat when absent (documents from before the field).
   */
  type: modelTypeSchema.default('chat'),
  provider: providerSchema,
  upstreamModel: upstreamModelSchema,
  // An upstream is called over HTTP(S): any other scheme would only fail every request.
  endpoint: z.url({ protocol: /^https?$/ }),
  /**
   * Name of the gateway's environment variable holding the upstream credential, never the
   * secret. Not one of the gateway's own settings (`GATEWAY_*`, `OTEL_*`): their secrets (the
   * admin token, the portal's events token, a collector's auth header) would go upstream.
   */
  credentialEnv: z
    .string()
    .regex(/^[A-Z_][A-Z0-9_]*$/, 'must be an environment variable name')
    .refine(name => !/^(GATEWAY|OTEL)_/.test(name), {
      error:
        "must not name one of the gateway's own settings (GATEWAY_*, OTEL_*)",
    })
    .optional(),
  region: regionSchema,
  qualityTier: qualityTierSchema,
  contextLength: contextLengthSchema,
  maxOutputTokens: contextLengthSchema,
  features: z.array(capabilitySchema),
  /** The most tokens one prompt image counts here, when above the default allowance. */
  imageTokens: boundedInt({ min: 1, max: 1_000_000 }).optional(),
  inputPerMillionUsd: boundedNumber({ min: 0, max: 10_000 }),
  outputPerMillionUsd: boundedNumber({ min: 0, max: 10_000 }),
  maxClassification: classificationSchema,
});
export type GatewayModelProfile = z.infer<typeof gatewayModelProfileSchema>;

export const gatewayAgentSchema = z.strictObject({
  id: idSchema,
  tenant: idSchema,
  policy: routingPolicySchema,
  preferredModels: profileIdsSchema,
  fallbackChain: profileIdsSchema,
  maxFallbacks: z.int().min(0).max(5),
  requiredCapabilities: requiredCapabilitiesSchema,
  monthlyBudgetUsd: positiveUsdSchema.optional(),
  maxCostPerRunUsd: positiveUsdSchema.optional(),
  /**
   * The agent's own requests and tokens per minute, checked beside its tenant's limits for
   * requests made with a key bound to the agent; absent, only the tenant's limits apply.
   */
  limits: rateLimitsSchema.strict().optional(),
});
export type GatewayAgent = z.infer<typeof gatewayAgentSchema>;

/**
 * The most entries of each list a state holds: far beyond what a cell serves, and checked
 * before any entry, so a push of a million empty entries is one issue, not millions.
 */
export const GATEWAY_STATE_MAX_ENTRIES = {
  tenants: 10_000,
  apiKeys: 100_000,
  modelProfiles: 1_000,
  agents: 50_000,
} as const;

export const gatewayDesiredStateSchema = z.strictObject({
  schemaVersion: z.literal(GATEWAY_STATE_SCHEMA_VERSION),
  /** Content version chosen by the reconciler, e.g. a hash of the document. */
  // Every event carries it: text the portal cannot store would have it refuse them all.
  version: textSchema(1, 64),
  cell: idSchema,
  tenants: z.array(gatewayTenantSchema).max(GATEWAY_STATE_MAX_ENTRIES.tenants),
  apiKeys: z.array(gatewayApiKeySchema).max(GATEWAY_STATE_MAX_ENTRIES.apiKeys),
  modelProfiles: z
    .array(gatewayModelProfileSchema)
    .max(GATEWAY_STATE_MAX_ENTRIES.modelProfiles),
  agents: z.array(gatewayAgentSchema).max(GATEWAY_STATE_MAX_ENTRIES.agents),
});
export type GatewayDesiredState = z.infer<typeof gatewayDesiredStateSchema>;

/**
 * The desired state's fields other than its lists, which it leaves unread: a gateway checks a
 * large push against this, then each list and each entry against the list's own schema, a
 * slice of entries at a time, serving requests between slices.
 */
export const gatewayStateEnvelopeSchema = gatewayDesiredStateSchema.extend({
  // Optional here: a missing list is the list's own issue.
  tenants: z.unknown().optional(),
  apiKeys: z.unknown().optional(),
  modelProfiles: z.unknown().optional(),
  agents: z.unknown().optional(),
});
