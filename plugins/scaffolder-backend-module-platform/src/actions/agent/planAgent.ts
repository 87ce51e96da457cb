import { CatalogService } from '@backstage/plugin-catalog-node';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import {
  agentSpecSchema,
  capabilitySchema,
  positiveUsdSchema,
  rateLimitsSchema,
  routingPolicySchema,
  sloObjectiveSchema,
  sloTargetSchema,
} from '@cellport/plugin-platform-common';
import type { z as zod } from 'zod/v3';
import { planOncePerRun } from '../planOncePerRun';
import { examples } from './planAgent.examples';
import { planAgentRegistration } from './planAgentRegistration';
import { platformSchema } from '../platformSchema';

const { routing, runBudget } = agentSpecSchema.shape;

/** What the agent template's form asks: choices and bounds are the Agent kind's own. */
export const agentRegistrationInput = (z: typeof zod) =>
  z.object({
    name: z.string(),
    title: z.string().optional(),
    description: z.string().optional(),
    owner: z.string(),
    tenant: z.string(),
    cell: z.string().optional(),
    modelProfiles: z.array(z.string()),
    policy: platformSchema(z, routingPolicySchema),
    fallbackChain: z.array(z.string()).optional(),
    maxFallbacks: platformSchema(
      z,
      routing.shape.maxFallbacks.removeDefault(),
    ).optional(),
    requiredCapabilities: z
      .array(platformSchema(z, capabilitySchema))
      .optional(),
    tools: platformSchema(
      z,
      agentSpecSchema.shape.tools.removeDefault(),
    ).optional(),
    maxCostPerRunUsd: platformSchema(z, positiveUsdSchema).optional(),
    maxTokensPerRun: platformSchema(
      z,
      runBudget.removeDefault().shape.maxTokensPerRun.unwrap(),
    ).optional(),
    monthlyBudgetUsd: platformSchema(z, positiveUsdSchema).optional(),
    requestsPerMinute: platformSchema(
      z,
      rateLimitsSchema.shape.requestsPerMinute,
    )
      .optional()
      .describe("The agent's own requests per minute; with tokensPerMinute"),
    tokensPerMinute: platformSchema(z, rateLimitsSchema.shape.tokensPerMinute)
      .optional()
      .describe("The agent's own tokens per minute; with requestsPerMinute"),
    availabilityTarget: platformSchema(z, sloTargetSchema).optional(),
    timeToFirstTokenP95Ms: platformSchema(
      z,
      sloObjectiveSchema.shape.thresholdMs.unwrap(),
    ).optional(),
  });

export type AgentRegistrationInput = zod.infer<
  ReturnType<typeof agentRegistrationInput>
>;

/**
 * `cellport:agent:plan` checks an agent registration before anything is written: the Agent
 * against the platform schema, that its name is free, that its tenant exists and is hosted by
 * its cell, that every preferred and fallback model is on the tenant's allowlist and has the
 * capabilities the agent requires, and that its own rate limits (both or neither) fit inside
 * its tenant's. It also names the model alias the agent calls (the key and the gateway's URL
 * come from `cellport:agent:create-api-key` and `cellport:runtime:reconcile`).
 */
export function createPlanAgentAction(options: { catalog: CatalogService }) {
  return createTemplateAction({
    id: 'cellport:agent:plan',
    description:
      'Validates an agent registration: tenant and cell, allowlisted models with the required capabilities.',
    examples,
    supportsDryRun: true,
    schema: {
      input: agentRegistrationInput,
      output: z =>
        z.object({
          agent: z.record(z.any()),
          agentRef: z.string(),
          modelAlias: z.string(),
        }),
    },
    async handler(ctx) {
      const credentials = await ctx.getInitiatorCredentials();
      const plan = await planOncePerRun(ctx, `agent-${ctx.input.name}`, () =>
        planAgentRegistration(options.catalog, ctx.input, credentials),
      );
      ctx.output('agent', plan.agent);
      ctx.output('agentRef', plan.agentRef);
      ctx.output('modelAlias', plan.modelAlias);
    },
  });
}
