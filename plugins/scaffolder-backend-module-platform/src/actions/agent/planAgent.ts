import {
  Entity,
  parseEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { Config } from '@backstage/config';
import { InputError } from '@backstage/errors';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { planOncePerRun } from '../planOncePerRun';
import {
  AgentEntity,
  formatValidationIssues,
  ModelProfileSpec,
  PLATFORM_API_VERSION,
  TenantSpec,
  validatePlatformEntity,
} from '@cellport/plugin-platform-common';
import { examples } from './planAgent.examples';

const refOf = (value: string, defaultKind: string) =>
  stringifyEntityRef(
    parseEntityRef(value, { defaultKind, defaultNamespace: 'default' }),
  );
const nameOf = (ref: string) => parseEntityRef(ref, { defaultKind: 'x' }).name;

/** The cell a tenant names, or the one the catalog relates it to. */
function namedCell(tenant: Entity): string | undefined {
  const spec = tenant.spec as unknown as TenantSpec;
  return (
    spec.cell ??
    tenant.relations?.find(
      r => r.type === 'hostedBy' && r.targetRef.startsWith('cell:'),
    )?.targetRef
  );
}

/** The cell lists the tenant, or the tenant names the cell: either makes it its host. */
function cellHostsTenant(cell: Entity, tenant: Entity): boolean {
  const listed = ((cell.spec as { tenants?: string[] })?.tenants ?? []).map(
    nameOf,
  );
  const named = namedCell(tenant);
  return (
    listed.includes(tenant.metadata.name) ||
    (named !== undefined && nameOf(named) === cell.metadata.name)
  );
}

/**
 * `cellport:agent:plan` checks an agent registration before anything is written: the Agent
 * against the platform schema, that its name is free, that its tenant exists and is hosted by
 * its cell, that every preferred and fallback model is on the tenant's allowlist and has the
 * capabilities the agent requires, and that its own rate limits (both or neither) fit inside
 * its tenant's. It also says how the agent calls the gateway.
 */
export function createPlanAgentAction(options: {
  catalog: CatalogService;
  config: Config;
}) {
  const defaultGatewayUrl =
    options.config.getOptionalString('cellport.gateway.baseUrl') ??
    'http://localhost:7080';
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
        gatewayBaseUrl: z => z.string(),
        modelAlias: z => z.string(),
        keyHint: z => z.string(),
      },
    },
    async handler(ctx) {
      const plan = await planOncePerRun(
        ctx,
        `agent-${ctx.input.name}`,
        async () => {
          const input = ctx.input;
          const credentials = await ctx.getInitiatorCredentials();
          const tenantRef = refOf(input.tenant, 'Tenant');
          const [tenant] = (
            await options.catalog.getEntitiesByRefs(
              { entityRefs: [tenantRef] },
              { credentials },
            )
          ).items;
          if (!tenant)
            throw new InputError(
              `tenant: ${tenantRef} does not exist in the catalog`,
            );
          const cellValue =
            input.cell ??
            namedCell(tenant) ??
            (
              await options.catalog.getEntities(
                {
                  filter: {
                    kind: 'Cell',
                    'spec.tenants': tenant.metadata.name,
                  },
                  fields: ['metadata.name'],
                },
                { credentials },
              )
            ).items[0]?.metadata.name;
          if (!cellValue) {
            throw new InputError(
              `cell: ${tenantRef} is not hosted by any cell yet; pick one`,
            );
          }

          const slos = [
            ...(input.availabilityTarget
              ? [
                  {
                    name: 'availability',
                    indicator: 'availability',
                    target: input.availabilityTarget,
                    window: '28d',
                  },
                ]
              : []),
            ...(input.timeToFirstTokenP95Ms
              ? [
                  {
                    name: 'time-to-first-token-p95',
                    indicator: 'latency',
                    metric: 'time-to-first-token',
                    thresholdMs: input.timeToFirstTokenP95Ms,
                    target: 0.95,
                    window: '28d',
                  },
                ]
              : []),
          ];
          const parsed = validatePlatformEntity('Agent', {
            apiVersion: PLATFORM_API_VERSION,
            kind: 'Agent',
            metadata: {
              name: input.name,
              ...(input.title ? { title: input.title } : {}),
              ...(input.description ? { description: input.description } : {}),
            },
            spec: {
              owner: input.owner,
              tenant: nameOf(tenantRef),
              cell: nameOf(refOf(cellValue, 'Cell')),
              modelProfiles: input.modelProfiles.map(m =>
                nameOf(refOf(m, 'ModelProfile')),
              ),
              routing: {
                policy: input.policy,
                fallbackChain: (input.fallbackChain ?? []).map(m =>
                  nameOf(refOf(m, 'ModelProfile')),
                ),
                maxFallbacks: input.maxFallbacks ?? 2,
                requiredCapabilities: input.requiredCapabilities ?? [],
              },
              tools: input.tools ?? [],
              runBudget: {
                ...(input.maxCostPerRunUsd
                  ? { maxCostPerRunUsd: input.maxCostPerRunUsd }
                  : {}),
                ...(input.maxTokensPerRun
                  ? { maxTokensPerRun: input.maxTokensPerRun }
                  : {}),
                ...(input.monthlyBudgetUsd
                  ? { monthlyBudgetUsd: input.monthlyBudgetUsd }
                  : {}),
              },
              ...(input.requestsPerMinute !== undefined ||
              input.tokensPerMinute !== undefined
                ? {
                    rateLimits: {
                      requestsPerMinute: input.requestsPerMinute,
                      tokensPerMinute: input.tokensPerMinute,
                    },
                  }
                : {}),
              ...(slos.length ? { slos } : {}),
            },
          });
          if (!parsed.ok)
            throw new InputError(formatValidationIssues(parsed.issues));
          const agent: AgentEntity = parsed.entity;

          const cellRef = refOf(agent.spec.cell, 'Cell');
          const agentRef = `agent:default/${agent.metadata.name}`;
          const models = [
            ...agent.spec.modelProfiles.map((m, i) => ({
              field: `modelProfiles[${i}]`,
              name: m,
            })),
            ...agent.spec.routing.fallbackChain.map((m, i) => ({
              field: `fallbackChain[${i}]`,
              name: m,
            })),
          ];
          const [existing, cell, ...profiles] = (
            await options.catalog.getEntitiesByRefs(
              {
                entityRefs: [
                  agentRef,
                  cellRef,
                  ...models.map(m => `modelprofile:default/${m.name}`),
                ],
              },
              { credentials },
            )
          ).items;

          const tenantSpec = tenant.spec as unknown as TenantSpec;
          const allowed = new Set(
            tenantSpec.modelAllowlist.map(m =>
              nameOf(refOf(m, 'ModelProfile')),
            ),
          );
          const problems: string[] = [];
          if (existing)
            problems.push(
              `name: an agent "${agent.metadata.name}" already exists`,
            );
          if (!cell)
            problems.push(`cell: ${cellRef} does not exist in the catalog`);
          else if (!cellHostsTenant(cell, tenant)) {
            problems.push(
              `cell: ${cell.metadata.name} does not host tenant ${tenant.metadata.name}`,
            );
          }
          models.forEach((model, i) => {
            const profile = profiles[i];
            if (!profile) {
              problems.push(
                `${model.field}: no ModelProfile "${model.name}" in the catalog`,
              );
              return;
            }
            if (!allowed.has(model.name)) {
              problems.push(
                `${model.field}: ${model.name} is not on ${tenant.metadata.name}'s model allowlist`,
              );
            }
            const features =
              (profile.spec as unknown as ModelProfileSpec).capabilities
                ?.features ?? [];
            const missing = agent.spec.routing.requiredCapabilities.filter(
              c => !features.includes(c),
            );
            if (missing.length) {
              problems.push(
                `${model.field}: ${model.name} lacks ${missing.join(', ')}`,
              );
            }
          });
          // A limit above the tenant's could never be reached: the tenant's would refuse first.
          const agentLimits = agent.spec.rateLimits;
          if (agentLimits) {
            for (const [field, what] of [
              ['requestsPerMinute', 'requests'],
              ['tokensPerMinute', 'tokens'],
            ] as const) {
              const tenantLimit = tenantSpec.rateLimits?.[field];
              if (
                tenantLimit !== undefined &&
                agentLimits[field] > tenantLimit
              ) {
                problems.push(
                  `rateLimits.${field}: ${agentLimits[field]} is above tenant ${tenant.metadata.name}'s ${tenantLimit} ${what} per minute`,
                );
              }
            }
          }
          if (problems.length) throw new InputError(problems.join('; '));

          const gatewayBaseUrl =
            (cell!.spec as any)?.gateway?.baseUrl ?? defaultGatewayUrl;
          const prefixes = (() => {
            try {
              const keys = JSON.parse(
                tenant.metadata.annotations?.['cellport.dev/api-keys'] ?? '[]',
              );
              return keys.map((k: { prefix: string }) => `${k.prefix}…`);
            } catch {
              return [];
            }
          })();
          return {
            agent,
            agentRef,
            gatewayBaseUrl: `${gatewayBaseUrl.replace(/\/$/, '')}/v1`,
            modelAlias: agent.spec.modelProfiles[0],
            keyHint: prefixes.length
              ? `an API key of ${tenant.metadata.name} (${prefixes.join(', ')})`
              : `an API key of ${tenant.metadata.name}; it has none yet`,
          };
        },
      );
      ctx.output('agent', plan.agent);
      ctx.output('agentRef', plan.agentRef);
      ctx.output('gatewayBaseUrl', plan.gatewayBaseUrl);
      ctx.output('modelAlias', plan.modelAlias);
      ctx.output('keyHint', plan.keyHint);
    },
  });
}
