import { Entity } from '@backstage/catalog-model';
import { EntityRefLinks } from '@backstage/plugin-catalog-react';
import {
  AgentSpec,
  CellSpec,
  DEFAULT_SLOS,
  GPU_TYPES,
  InferenceDeploymentSpec,
  isPlatformKind,
  PLATFORM_KINDS,
  ModelProfileSpec,
  profileFeatures,
  SloObjective,
  TenantSpec,
} from '@cellport/plugin-platform-common';
import { ReactNode } from 'react';
import { resolveRefs } from '../entityRefs';
import { formatUsd } from '../format';

/** Per-million-token prices keep their cents' fractions ($0.075): they are multiplied up. */
const price = (value: number) =>
  value.toLocaleString('en-US', {
    style: 'currency',
    currency: 'USD',
    maximumFractionDigits: value < 1 ? 4 : 2,
  });
const count = (value: number) => value.toLocaleString('en-US');
const percent = (fraction: number) => `${(fraction * 100).toFixed(2)}%`;

function refs(
  entityRefs: string[] | undefined,
  defaultKind: string,
): ReactNode {
  if (!entityRefs?.length) return '—';
  return (
    <EntityRefLinks
      entityRefs={resolveRefs(entityRefs, defaultKind)}
      defaultKind={defaultKind}
    />
  );
}

type Rows = Record<string, ReactNode>;

function tenantRows(spec: TenantSpec): Rows {
  return {
    Tier: spec.tier,
    Isolation: spec.isolation,
    'Home region': spec.homeRegion,
    Residency: spec.residency?.pinned
      ? `pinned to ${spec.residency.regions?.join(', ')}`
      : 'not pinned',
    'Highest data classification': spec.dataClassification,
    'Monthly budget': formatUsd(spec.monthlyBudgetUsd),
    'Rate limits': rateLimits(spec.rateLimits),
    'Allowed models': refs(spec.modelAllowlist, 'ModelProfile'),
    'Prompt cache': spec.promptCache ? 'allowed' : 'off',
  };
}

function cellRows(spec: CellSpec): Rows {
  return {
    Tier: spec.tier,
    'Cloud / region': `${spec.cloud} / ${spec.region}`,
    Cluster: spec.cluster,
    Namespaces: spec.namespaces.join(', '),
    Tenants: refs(spec.tenants, 'Tenant'),
    Capacity: `${spec.tenants?.length ?? 0} of ${
      spec.capacity.maxTenants
    } tenants, ${count(spec.capacity.maxRequestsPerSecond)} requests/s, ${
      spec.capacity.gpus ?? 0
    } GPUs`,
    // Declared nowhere, the defaults apply: name them, not "platform defaults".
    SLOs: spec.slos?.length
      ? objectivesText(spec.slos)
      : `none declared; the defaults apply: ${objectivesText(DEFAULT_SLOS)}`,
  };
}

function objectivesText(slos: SloObjective[]): string {
  return slos
    .map(slo =>
      slo.indicator === 'latency'
        ? `${slo.name}: ${percent(slo.target)} under ${slo.thresholdMs} ms (${
            slo.window
          })`
        : `${slo.name}: ${percent(slo.target)} (${slo.window})`,
    )
    .join('; ');
}

function agentRows(spec: AgentSpec): Rows {
  return {
    Tenant: refs([spec.tenant], 'Tenant'),
    Cell: refs([spec.cell], 'Cell'),
    Lifecycle: spec.lifecycle,
    'Model preferences': refs(spec.modelProfiles, 'ModelProfile'),
    'Routing policy': spec.routing.policy,
    'Fallback chain': refs(spec.routing.fallbackChain, 'ModelProfile'),
    'Required capabilities':
      spec.routing.requiredCapabilities?.join(', ') || '—',
    Tools: spec.tools?.join(', ') || '—',
    'Run budget':
      [
        spec.runBudget?.maxCostPerRunUsd !== undefined &&
          `${formatUsd(spec.runBudget.maxCostPerRunUsd)} per run`,
        spec.runBudget?.maxTokensPerRun !== undefined &&
          `${count(spec.runBudget.maxTokensPerRun)} tokens per run`,
        spec.runBudget?.monthlyBudgetUsd !== undefined &&
          `${formatUsd(spec.runBudget.monthlyBudgetUsd)} per month`,
      ]
        .filter(Boolean)
        .join(', ') || '—',
    'Rate limits': spec.rateLimits
      ? rateLimits(spec.rateLimits)
      : "its tenant's only",
  };
}

function rateLimits(limits: TenantSpec['rateLimits']): string {
  return `${count(limits.requestsPerMinute)} requests/min, ${count(
    limits.tokensPerMinute,
  )} tokens/min`;
}

/**
 * The features the gateway routes on, which its API adds to or takes from what the entity
 * declares (`profileFeatures`), each difference said.
 */
function featuresOf(spec: ModelProfileSpec): string {
  const declared = spec.capabilities.features ?? [];
  const served = [...profileFeatures(spec.provider, declared)];
  const added = served.filter(feature => !declared.includes(feature));
  const dropped = declared.filter(feature => !served.includes(feature));
  const notes = [
    ...(added.length ? [`${added.join(', ')} from its API`] : []),
    ...(dropped.length
      ? [`declared ${dropped.join(', ')}, which its API cannot serve`]
      : []),
  ];
  const list = served.join(', ') || '—';
  return notes.length ? `${list} (${notes.join('; ')})` : list;
}

function modelProfileRows(spec: ModelProfileSpec): Rows {
  return {
    Provider: spec.provider,
    Model: spec.model,
    Type: spec.type === 'embeddings' ? 'embeddings' : 'chat',
    Region: spec.region,
    'Quality tier': spec.qualityTier,
    'Context length': `${count(spec.capabilities.contextLength)} tokens`,
    'Max output': `${count(spec.capabilities.maxOutputTokens)} tokens`,
    Features: featuresOf(spec),
    Price: `${price(spec.pricing.inputPerMillionUsd)} input, ${price(
      spec.pricing.outputPerMillionUsd,
    )} output per million tokens`,
    'Highest classification allowed': spec.maxClassification,
    'Data retention': `${spec.dataRetention.days} days${
      spec.dataRetention.usedForTraining ? ', used for training' : ''
    }`,
    // What decides who besides its cell's tenants may use a dedicated cell's model.
    'Shared with': sharingOf(spec.sharing),
  };
}

function sharingOf(sharing: ModelProfileSpec['sharing']): ReactNode {
  if (sharing?.allTenants) return 'every tenant';
  if (sharing?.tenants?.length) return refs(sharing.tenants, 'Tenant');
  return "no one beyond its cell's tenants (when served from a dedicated or customer-VPC cell)";
}

function inferenceDeploymentRows(spec: InferenceDeploymentSpec): Rows {
  const gpu = GPU_TYPES[spec.gpu.type];
  return {
    Model: `${spec.model.name} (${spec.model.parametersBillions}B, ${spec.model.precision})`,
    Cell: refs([spec.cell], 'Cell'),
    'Provides model profile': refs([spec.modelProfile], 'ModelProfile'),
    GPUs: `${spec.gpu.count} × ${
      gpu?.displayName ?? spec.gpu.type
    } per replica`,
    'Tensor parallelism': spec.tensorParallelism,
    'Max context': `${count(spec.maxContextLength)} tokens`,
    'Max concurrent sequences': spec.maxConcurrentSequences,
    Replicas: `${spec.replicas.min} to ${spec.replicas.max} (scale at ${spec.replicas.targetQueueDepth} queued requests per replica)`,
  };
}

/**
 * The spec of a platform entity as label → value rows, with units. The catalog stores specs as
 * written, so the kind's schema fills in the defaults the gateway will apply.
 */
export function overviewRows(entity: Entity): Rows {
  const parsed = isPlatformKind(entity.kind)
    ? PLATFORM_KINDS[entity.kind].spec.safeParse(entity.spec)
    : undefined;
  const spec = (parsed?.success ? parsed.data : entity.spec) as any;
  switch (entity.kind) {
    case 'Tenant':
      return tenantRows(spec);
    case 'Cell':
      return cellRows(spec);
    case 'Agent':
      return agentRows(spec);
    case 'ModelProfile':
      return modelProfileRows(spec);
    case 'InferenceDeployment':
      return inferenceDeploymentRows(spec);
    default:
      return {};
  }
}
