import { z } from 'zod';
import {
  entityRefSchema,
  positiveUsdSchema,
  rateLimitsSchema,
  requiredCapabilitiesSchema,
} from './common';
import { boundedInt } from './bounds';
import { platformEntitySchema } from './entity';
import { sloObjectiveSchema } from './slo';

/**
 * How the router ranks an agent's candidate models: `quality` prefers the highest quality
 * tier, `cost` the cheapest, `balanced` weighs both by the request's complexity (seed 004).
 */
export const routingPolicySchema = z.enum(['quality', 'balanced', 'cost']);
export type RoutingPolicy = z.infer<typeof routingPolicySchema>;

/**
 * An AI agent registered by a service owner. It calls the gateway of its cell with its
 * tenant's key; the gateway routes it under `routing` within its tenant's boundaries.
 */
export const agentSpecSchema = z.object({
  owner: entityRefSchema,
  tenant: entityRefSchema,
  cell: entityRefSchema,
  lifecycle: z
    .enum(['experimental', 'production', 'deprecated'])
    .default('production'),
  /** ModelProfiles in order of preference; the first eligible one is tried first. */
  modelProfiles: z
    .array(entityRefSchema)
    .min(1, 'must name at least one model profile'),
  routing: z.object({
    policy: routingPolicySchema,
    /** ModelProfiles tried, in order, when the chosen route fails with a retriable error. */
    fallbackChain: z.array(entityRefSchema).default([]),
    maxFallbacks: z.int().min(0).max(5).default(2),
    requiredCapabilities: requiredCapabilitiesSchema.default([]),
  }),
  tools: z
    .array(z.string().regex(/^[a-z0-9][-a-z0-9_.]*$/, 'must be a tool slug'))
    .default([]),
  runBudget: z
    .object({
      /** Most one run (one conversation turn with its tool calls) may cost. */
      maxCostPerRunUsd: positiveUsdSchema.optional(),
      /** 100 million tokens is hundreds of full context windows: more than any one run. */
      maxTokensPerRun: boundedInt({
        min: 0,
        exclusiveMin: true,
        max: 100_000_000,
      }).optional(),
      monthlyBudgetUsd: positiveUsdSchema.optional(),
    })
    .default({}),
  /**
   * The agent's own requests and tokens per minute, enforced by the gateway inside its
   * tenant's (a request must fit both) for calls made with a key bound to the agent. Without
   * it the agent is held only by its tenant's limits.
   */
  rateLimits: rateLimitsSchema.optional(),
  slos: z.array(sloObjectiveSchema).optional(),
});

export const agentEntitySchema = platformEntitySchema(
  'Agent',
  agentSpecSchema,
  {
    dnsName: true,
  },
);

export type AgentSpec = z.infer<typeof agentSpecSchema>;
export type AgentEntity = z.infer<typeof agentEntitySchema>;
