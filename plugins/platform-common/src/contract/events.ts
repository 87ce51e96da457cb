import { z } from 'zod';
import {
  classificationSchema,
  entityNameSchema,
  requiredCapabilitiesSchema,
} from '../kinds/common';
import { modelTypeSchema } from '../kinds/modelProfile';

/**
 * The records every gateway request yields (DESIGN.md data flow 3–4). Both carry
 * `schemaVersion`; a gateway and a portal agree on it, and the portal rejects versions it does
 * not know instead of misreading them.
 */
export const EVENTS_SCHEMA_VERSION = 1;

/**
 * Why the router dropped a candidate model profile. `wrong-model-type`: a chat profile on
 * `/v1/embeddings` or an embeddings profile on `/v1/chat/completions`.
 */
export const dropReasonSchema = z.enum([
  'wrong-model-type',
  'not-allowed',
  'residency',
  'classification',
  'missing-capability',
  'context-too-long',
  'budget',
  'circuit-open',
]);
export type DropReason = z.infer<typeof dropReasonSchema>;

/** The failure class of a request, as SLOs count it. */
export const errorClassSchema = z.enum([
  'invalid-request',
  'unauthorized',
  'forbidden',
  'not-found',
  'rate-limited',
  'budget-exhausted',
  'upstream-error',
  'upstream-timeout',
  'upstream-unavailable',
  'client-cancelled',
  'internal',
]);
export type ErrorClass = z.infer<typeof errorClassSchema>;

/**
 * How a request ended. `error` is a failure of the platform or its upstreams (counts against
 * availability); `rejected` is the caller's own fault or limit (bad input, auth, budget).
 */
export const outcomeSchema = z.enum([
  'success',
  'error',
  'rejected',
  'cancelled',
]);
export type Outcome = z.infer<typeof outcomeSchema>;

const idSchema = z
  .string()
  .min(8)
  .max(128)
  .regex(/^[A-Za-z0-9_-]+$/, 'must be an id of letters, digits, "_" and "-"');
/**
 * The years an event may be stamped in: outside them is a broken clock, not history, and the
 * rollups' minute buckets could not hold it. Fixed bounds, not the portal's clock: a replica
 * whose clock runs ahead must not have its events refused (and dropped) for it.
 */
const EARLIEST_EVENT = Date.parse('2000-01-01T00:00:00Z');
const LATEST_EVENT = Date.parse('2100-01-01T00:00:00Z');

/** What a time outside {@link isStorableTime}'s years is refused with. */
export const STORABLE_YEARS_MESSAGE = 'must be in the years 2000 to 2099';

/**
 * Whether a time (epoch milliseconds) is in the years an event may be stamped in; the portal
 * holds every time it is sent (a query's range, an alert's start and end) to the same years.
 */
export function isStorableTime(ms: number): boolean {
  return ms >= EARLIEST_EVENT && ms < LATEST_EVENT;
}

const timestampSchema = z.iso
  .datetime({ offset: true, error: 'must be an ISO 8601 timestamp' })
  .refine(value => isStorableTime(Date.parse(value)), {
    error: STORABLE_YEARS_MESSAGE,
  });

/**
 * A token count. No request comes near 2^31 tokens, the most the event tables' integer
 * columns hold: a larger count is refused by field rather than failing the batch's insert.
 */
const tokenCountSchema = z
  .int()
  .nonnegative()
  .max(2_147_483_647, 'must be at most 2147483647');

/** A request's cost in USD. Bounded so that a batch's sums stay finite numbers. */
const costSchema = z.number().nonnegative().max(1e12, 'must be at most 1e12');

/** Half of a surrogate pair without its other half. */
const LONE_SURROGATE =
  /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const EVERY_LONE_SURROGATE = new RegExp(LONE_SURROGATE.source, 'g');

/** Whether text holds what the portal cannot store (see `textSchema`). */
export function hasUnstorableText(value: string): boolean {
  return value.includes('\u0000') || LONE_SURROGATE.test(value);
}

/** Text the portal can store: each NUL or unpaired surrogate becomes U+FFFD. */
export function storableText(value: string): string {
  return value
    .replaceAll('\u0000', '\uFFFD')
    .replace(EVERY_LONE_SURROGATE, '\uFFFD');
}

/**
 * Text the portal can store: PostgreSQL's text and JSON hold no NUL character, and no JSON
 * holds a lone surrogate. Either would fail the whole batch's insert; refused by field instead.
 */
export function textSchema(min: number, max: number) {
  return z
    .string()
    .min(min)
    .max(max)
    .refine(value => !hasUnstorableText(value), {
      error: 'must not hold a NUL character or an unpaired surrogate',
    });
}

/** A catalog entity the event names: a cell, tenant, agent or model profile. */
const refSchema = entityNameSchema;
const msSchema = z.number().nonnegative('must not be negative');

export const routingCandidateSchema = z.object({
  modelProfile: refSchema,
  kept: z.boolean(),
  dropReason: dropReasonSchema.optional(),
  /** Human-readable detail, e.g. "region us-east-1 outside pinned eu-west". */
  detail: textSchema(0, 500).optional(),
  /** Rank among kept candidates, 0 is best. */
  rank: z.int().nonnegative().optional(),
  score: z.number().optional(),
});
export type RoutingCandidate = z.infer<typeof routingCandidateSchema>;

export const fallbackAttemptSchema = z.object({
  modelProfile: refSchema,
  errorClass: errorClassSchema,
  status: z.int().optional(),
  latencyMs: msSchema,
});
export type FallbackAttempt = z.infer<typeof fallbackAttemptSchema>;

const requestScopeSchema = {
  /** Idempotency key: a record with an id already stored is ignored. */
  id: idSchema,
  schemaVersion: z.literal(EVENTS_SCHEMA_VERSION),
  requestId: idSchema,
  timestamp: timestampSchema,
  gateway: textSchema(1, 128),
  cell: refSchema,
  tenant: refSchema,
  agent: refSchema.optional(),
  /** Version of the gateway desired state in force when the request was routed. */
  stateVersion: textSchema(1, 64),
};

/**
 * Version of `RoutingFeatures`. A decision carries the version its features were recorded in,
 * so a replay knows which fields it can trust; decisions from before features were recorded
 * have none and are replayed with what they have.
 */
export const ROUTING_FEATURES_VERSION = 1;

/**
 * What the router decided from, beside the desired state: enough to re-derive the decision
 * later under the same or a changed state (`@cellport/router`). Token counts are the gateway's
 * estimates before the call, not what the upstream counted.
 */
export const routingFeaturesSchema = z.object({
  featuresVersion: z.literal(ROUTING_FEATURES_VERSION),
  /** The endpoint's model type: only profiles of this type may serve the request. */
  modelType: modelTypeSchema,
  requestedModel: textSchema(1, 200),
  /** The agent the key is bound to, whose policy and model lists applied. */
  agent: refSchema.optional(),
  classification: classificationSchema,
  /** The request's own needs; the agent's are added from the state when routing. */
  requiredCapabilities: requiredCapabilitiesSchema,
  /** Realistic prompt size, for the context check. */
  estimatedInputTokens: tokenCountSchema,
  /** The most tokens the prompt can come to: what costs are checked against. */
  promptTokenBound: tokenCountSchema,
  /**
   * Images in the prompt, each counted in `promptTokenBound` at the default allowance; a
   * profile whose images count more is charged the difference. Absent: none.
   */
  promptImages: tokenCountSchema.optional(),
  /** `max_tokens` as asked for (0 for embeddings); absent when left to the profile. */
  maxOutputTokens: tokenCountSchema.optional(),
  /** Completions asked for (`n`, at most 128 as OpenAI takes). */
  choices: z.int().positive().max(128, 'must be at most 128'),
  complexity: z.number().min(0).max(1),
  /**
   * The monthly budget left the request was routed within, as the replica last saw it, when it
   * checked it: the tenant's, or its agent's where that refused the request's reservation
   * (the request was then routed again within it).
   */
  remainingBudgetUsd: z.number().optional(),
});
export type RoutingFeatures = z.infer<typeof routingFeaturesSchema>;

/** Every candidate the router looked at and why it was kept or dropped, and what was chosen. */
export const routingDecisionSchema = z.object({
  ...requestScopeSchema,
  type: z.literal('routing-decision'),
  requestedModel: textSchema(1, 200),
  policy: z.enum(['quality', 'balanced', 'cost']),
  complexityScore: z.number().min(0).max(1),
  requiredCapabilities: requiredCapabilitiesSchema,
  estimatedInputTokens: tokenCountSchema,
  candidates: z.array(routingCandidateSchema),
  /** The profile that served the request, or none when every route failed or was dropped. */
  chosen: refSchema.optional(),
  fallbacks: z.array(fallbackAttemptSchema),
  routerDecisionMs: msSchema,
  outcome: outcomeSchema,
  errorClass: errorClassSchema.optional(),
  /** What the decision was made from; absent on decisions recorded before features were. */
  features: routingFeaturesSchema.optional(),
  /**
   * The W3C trace id of the request, when a trace of it was recorded (by the gateway, or by
   * a caller that sent a sampled `traceparent`): the portal links to it.
   */
  traceId: z
    .string()
    .regex(/^[0-9a-f]{32}$/)
    .optional(),
});
export type RoutingDecision = z.infer<typeof routingDecisionSchema>;

/** Tokens, cost and latencies of one request. */
export const usageEventSchema = z.object({
  ...requestScopeSchema,
  type: z.literal('usage'),
  modelProfile: refSchema.optional(),
  provider: textSchema(0, 64).optional(),
  stream: z.boolean(),
  inputTokens: tokenCountSchema,
  outputTokens: tokenCountSchema,
  /**
   * The upstream reported no usage (or none that is a count): the prompt is charged its token
   * bound and the output the gateway's tokenizer count.
   */
  tokensEstimated: z.boolean(),
  costUsd: costSchema,
  cached: z.boolean(),
  gatewayOverheadMs: msSchema,
  upstreamLatencyMs: msSchema.optional(),
  timeToFirstTokenMs: msSchema.optional(),
  totalLatencyMs: msSchema,
  status: z.int().min(100).max(599),
  outcome: outcomeSchema,
  errorClass: errorClassSchema.optional(),
  /** Backfilled demo history, kept apart from live traffic. */
  demo: z.boolean().optional(),
});
export type UsageEvent = z.infer<typeof usageEventSchema>;

export const platformEventSchema = z.discriminatedUnion('type', [
  routingDecisionSchema,
  usageEventSchema,
]);
export type PlatformEvent = z.infer<typeof platformEventSchema>;

/** What a gateway posts to the portal's ingest endpoint. */
export const eventBatchSchema = z.object({
  events: z.array(platformEventSchema).min(1).max(5000),
});
export type EventBatch = z.infer<typeof eventBatchSchema>;

/** The NATS subjects gateways publish events on: `cellport.events.<cell>`. */
export const EVENTS_SUBJECT_PREFIX = 'cellport.events';

/**
 * The subject of a cell's events. A subject token cannot hold '.', '*', '>' or whitespace:
 * each becomes `%` and its code in four hex digits (and '%' itself too), so that no two cells
 * share a subject (`eu.west` and `eu_west` would, were '.' made '_'). The portal refuses an
 * event published on another cell's subject, so a gateway's publish permission on its own
 * subject is what lets it speak for its cell.
 */
export function eventsSubject(cell: string): string {
  const token = cell.replace(
    /[.*>%\s]/g,
    char => `%${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  return `${EVENTS_SUBJECT_PREFIX}.${token}`;
}
