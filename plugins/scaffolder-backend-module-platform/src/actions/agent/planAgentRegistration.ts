import {
  Entity,
  parseEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { InputError } from '@backstage/errors';
import { BackstageCredentials } from '@backstage/backend-plugin-api';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { loadIsolationCatalog } from '../loadIsolationCatalog';
import {
  AgentEntity,
  formatValidationIssues,
  hostedTenants,
  missingCapabilities,
  ModelProfileSpec,
  privateModelRefusal,
  sameEntityName,
  ProfileForIsolation,
  PLATFORM_API_VERSION,
  TenantSpec,
  validatePlatformEntity,
} from '@cellport/plugin-platform-common';
import type { AgentRegistrationInput } from './planAgent';

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

/**
 * Checks an agent registration against the catalog and makes its plan: the Agent entity, its
 * ref, and the model alias it calls. Every problem found is reported at once, in an
 * InputError naming each field.
 */
export async function planAgentRegistration(
  catalog: CatalogService,
  input: AgentRegistrationInput,
  credentials: BackstageCredentials,
) {
  const tenantRef = refOf(input.tenant, 'Tenant');
  const [tenant] = (
    await catalog.getEntitiesByRefs(
      { entityRefs: [tenantRef] },
      { credentials },
    )
  ).items;
  if (!tenant)
    throw new InputError(`tenant: ${tenantRef} does not exist in the catalog`);
  if (tenant.kind !== 'Tenant')
    throw new InputError(`tenant: ${tenantRef} is not a Tenant`);
  const cellValue =
    input.cell ??
    namedCell(tenant) ??
    (
      await catalog.getEntities(
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
      // The catalog's own spelling: names match without regard to case there, not everywhere.
      tenant: tenant.metadata.name,
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
  if (!parsed.ok) throw new InputError(formatValidationIssues(parsed.issues));
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
    await catalog.getEntitiesByRefs(
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
  const isolation = await loadIsolationCatalog(catalog, credentials);
  const hostedByCell = isolation.cells.find(
    c => c.metadata.name === cell?.metadata.name,
  );

  const tenantSpec = tenant.spec as unknown as TenantSpec;
  const problems: string[] = [];
  if (existing)
    problems.push(`name: an agent "${agent.metadata.name}" already exists`);
  if (!cell) problems.push(`cell: ${cellRef} does not exist in the catalog`);
  else if (cell.kind !== 'Cell')
    problems.push(`cell: ${cellRef} is not a Cell`);
  else if (
    !hostedByCell ||
    !hostedTenants(hostedByCell, isolation.tenants).includes(
      tenant.metadata.name,
    )
  ) {
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
    if (
      !tenantSpec.modelAllowlist.some(m =>
        sameEntityName(m, profile.metadata.name),
      )
    ) {
      problems.push(
        `${model.field}: ${model.name} is not on ${tenant.metadata.name}'s model allowlist`,
      );
    }
    // Checked even for allowlisted models: a hand-edited allowlist must not open the way.
    const refusal = privateModelRefusal(
      tenant.metadata.name,
      profile as unknown as ProfileForIsolation,
      isolation,
    );
    if (refusal) problems.push(`${model.field}: ${refusal}`);
    const missing = missingCapabilities(
      profile.spec as unknown as ModelProfileSpec,
      agent.spec.routing.requiredCapabilities,
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
      if (tenantLimit !== undefined && agentLimits[field] > tenantLimit) {
        problems.push(
          `rateLimits.${field}: ${agentLimits[field]} is above tenant ${tenant.metadata.name}'s ${tenantLimit} ${what} per minute`,
        );
      }
    }
  }
  if (problems.length) throw new InputError(problems.join('; '));
  // The catalog's own spelling of each name it found.
  agent.spec.cell = cell!.metadata.name;
  const spelled = (name: string) =>
    profiles.find(p => p && sameEntityName(p.metadata.name, name))!.metadata
      .name;
  agent.spec.modelProfiles = agent.spec.modelProfiles.map(spelled);
  agent.spec.routing.fallbackChain =
    agent.spec.routing.fallbackChain.map(spelled);

  return {
    agent,
    agentRef,
    modelAlias: agent.spec.modelProfiles[0],
  };
}
