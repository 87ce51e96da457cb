import { CatalogService } from '@backstage/plugin-catalog-node';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { planOncePerRun } from '../planOncePerRun';
import { examples } from './planAgent.examples';
import { planAgentRegistration } from './planAgentRegistration';

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
      input: {
        name: z => z.string(),
        title: z => z.string().optional(),
        description: z => z.string().optional(),
        owner: z => z.string(),
        tenant: z => z.string(),
        cell: z => z.string().optional(),
        modelProfiles: z => z.array(z.string()),
        policy: z => z.string(),
        fallbackChain: z => z.array(z.string()).optional(),
        maxFallbacks: z => z.number().int().optional(),
        requiredCapabilities: z => z.array(z.string()).optional(),
        tools: z => z.array(z.string()).optional(),
        maxCostPerRunUsd: z => z.number().optional(),
        maxTokensPerRun: z => z.number().int().optional(),
        monthlyBudgetUsd: z => z.number().optional(),
        requestsPerMinute: z =>
          z
            .number()
            .int()
            .optional()
            .describe(
              "The agent's own requests per minute; with tokensPerMinute",
            ),
        tokensPerMinute: z =>
          z
            .number()
            .int()
            .optional()
            .describe(
              "The agent's own tokens per minute; with requestsPerMinute",
            ),
        availabilityTarget: z => z.number().optional(),
        timeToFirstTokenP95Ms: z => z.number().optional(),
      },
      output: {
        agent: z => z.record(z.any()),
        agentRef: z => z.string(),
        modelAlias: z => z.string(),
      },
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
