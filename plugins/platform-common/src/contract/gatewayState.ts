import { z } from 'zod';
import {
  capabilitySchema,
  classificationSchema,
  rateLimitsSchema,
  regionSchema,
} from '../kinds/common';
import { routingPolicySchema } from '../kinds/agent';
import {
  modelTypeSchema,
  providerSchema,
  qualityTierSchema,
} from '../kinds/modelProfile';

/**
 * The desired state a cell's gateway runs on, pushed whole by the portal's reconciler through
 * the gateway's control API. The gateway validates a push whole and swaps it in atomically;
 * every RoutingDecision records the `version` it was made under.
 */
export const GATEWAY_STATE_SCHEMA_VERSION = 1;

const sha256Schema = z
  .string()
  .regex(/^[a-f0-9]{64}$/, 'must be a lower-case hex SHA-256 digest');
/**
 * A catalog entity's name, as the portal writes ids (and ids name Redis keys,
 * `cellport:{tenant}:agent:<agent>:…`): no `{`, `}` or `:` that could make one tenant's or
 * agent's counters another's.
 */
const idSchema = z
  .string()
  .min(1)
  .max(255)
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._-]*$/,
    'must be a catalog entity name: letters, digits, ".", "_" and "-", starting with a letter or digit',
  );

export const gatewayApiKeySchema = z.object({
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

export const gatewayTenantSchema = z.object({
  id: idSchema,
  monthlyBudgetUsd: z.number().positive(),
  limits: rateLimitsSchema,
  /** Model profile ids the tenant may use. */
  allowedModels: z.array(idSchema),
  /** Regions a request may be served from; empty means any. */
  residencyRegions: z.array(regionSchema),
  classification: classificationSchema,
  promptCache: z.boolean(),
  /**
   * What the gateway's telemetry may hold of this tenant's requests. Prompt and completion
   * text stay out of traces unless `captureContent` is true.
   */
  telemetry: z.object({ captureContent: z.boolean().optional() }).optional(),
});
export type GatewayTenant = z.infer<typeof gatewayTenantSchema>;

export const gatewayModelProfileSchema = z.object({
  id: idSchema,
  /** The name callers use in `model`; several profiles may share an alias. */
  alias: z.string().min(1).max(200),
  /**
   * The endpoint the profile serves: chat profiles only `/v1/chat/completions`, embeddings
   * profiles only `/v1/embeddings`. Chat when absent (documents from before the field).
   */
  type: modelTypeSchema.default('chat'),
  provider: providerSchema,
  upstreamModel: z.string().min(1).max(200),
  endpoint: z.url(),
  /** Name of the gateway's environment variable holding the upstream credential, never the secret. */
  credentialEnv: z
    .string()
    .regex(/^[A-Z_][A-Z0-9_]*$/)
    .optional(),
  region: regionSchema,
  qualityTier: qualityTierSchema,
  contextLength: z.int().positive(),
  maxOutputTokens: z.int().positive(),
  features: z.array(capabilitySchema),
  /** The most tokens one prompt image counts here, when above the default allowance. */
  imageTokens: z.int().positive().optional(),
  inputPerMillionUsd: z.number().nonnegative(),
  outputPerMillionUsd: z.number().nonnegative(),
  maxClassification: classificationSchema,
});
export type GatewayModelProfile = z.infer<typeof gatewayModelProfileSchema>;

export const gatewayAgentSchema = z.object({
  id: idSchema,
  tenant: idSchema,
  policy: routingPolicySchema,
  preferredModels: z.array(idSchema),
  fallbackChain: z.array(idSchema),
  maxFallbacks: z.int().min(0).max(5),
  requiredCapabilities: z.array(capabilitySchema),
  monthlyBudgetUsd: z.number().positive().optional(),
  maxCostPerRunUsd: z.number().positive().optional(),
  /**
   * The agent's own requests and tokens per minute, checked beside its tenant's limits for
   * requests made with a key bound to the agent; absent, only the tenant's limits apply.
   */
  limits: rateLimitsSchema.optional(),
});
export type GatewayAgent = z.infer<typeof gatewayAgentSchema>;

export const gatewayDesiredStateSchema = z.object({
  schemaVersion: z.literal(GATEWAY_STATE_SCHEMA_VERSION),
  /** Content version chosen by the reconciler, e.g. a hash of the document. */
  version: z.string().min(1).max(64),
  cell: idSchema,
  tenants: z.array(gatewayTenantSchema),
  apiKeys: z.array(gatewayApiKeySchema),
  modelProfiles: z.array(gatewayModelProfileSchema),
  agents: z.array(gatewayAgentSchema),
});
export type GatewayDesiredState = z.infer<typeof gatewayDesiredStateSchema>;
