import { stringifyEntityRef } from '@backstage/catalog-model';
import {
  entityRefName,
  GpuType,
  hostedTenants,
  sameEntityName,
} from '@cellport/plugin-platform-common';
import { COST_COLUMNS, RollupStore } from '../rollups/RollupStore';
import { HOUR_MS, TimeRange } from '../rollups/timeRanges';
import { chargeableGpuIntervals, gpuHoursPerHour } from './chargeableGpuTime';
import { GpuReplicaSampleStore } from './GpuReplicaSampleStore';
import { PlatformCatalog } from '@cellport/plugin-platform-node';

/** One InferenceDeployment's GPU spend, hour by hour, and who it is charged to. */
export interface DeploymentGpuSpend {
  deployment: string;
  cell: string;
  modelProfile: string;
  gpuType: GpuType;
  hourlyUsdPerGpu: number;
  /** Start of the first hour bucket (the range's start, rounded down to the hour). */
  firstHour: number;
  /** GPU-hours and their cost in each hour bucket: raw, rounded where reported (usd.ts). */
  gpuHours: number[];
  costUsd: number[];
  /** Whether the model served no tokens at all in the hour. */
  idle: boolean[];
  /** GPU-hours charged to each tenant in each hour bucket. */
  tenantGpuHours: Map<string, number[]>;
  /** Cost charged to each tenant in each hour bucket: its GPU-hours at the price. */
  tenantCostUsd: Map<string, number[]>;
  /** Tokens each tenant used of the model over the range. */
  tenantTokens: Map<string, number>;
  observedMs: number;
  appliedMs: number;
  rangeMs: number;
  appliedAt?: number;
}

/**
 * What GPUs cost and whom, hour by hour: the GPU time a deployment is charged for (observed
 * pods, or its catalog minimum once applied), set against the tokens its model served in the
 * same hour. Busy hours are split over the tenants by their tokens; an idle hour is charged
 * to the cell's tenant when the cell hosts only one (its capacity is theirs whether used or
 * not), and to nobody on a shared cell, where idle capacity is the platform's.
 */
export class GpuSpendLedger {
  constructor(
    private readonly deps: {
      catalog: PlatformCatalog;
      rollups: RollupStore;
      samples?: GpuReplicaSampleStore;
      /** First successful apply of each of `entityRefs` (lower-cased refs). */
      firstApplied: (entityRefs: string[]) => Promise<Map<string, number>>;
      gpuHourlyUsd: Record<GpuType, number>;
    },
  ) {}

  async spend(
    range: TimeRange,
    filter: { cell?: string } = {},
  ): Promise<DeploymentGpuSpend[]> {
    const { catalog, rollups, samples, gpuHourlyUsd } = this.deps;
    const entities = await catalog.entities();
    // A deployment's refs as the catalog spells the names (a ref may be in other case): the
    // rollups and the cells go by those.
    const cellOf = (d: (typeof entities.inferenceDeployments)[number]) =>
      entities.cells.find(c => sameEntityName(c.metadata.name, d.spec.cell))
        ?.metadata.name ?? entityRefName(d.spec.cell);
    const profileOf = (d: (typeof entities.inferenceDeployments)[number]) =>
      entities.modelProfiles.find(p =>
        sameEntityName(p.metadata.name, d.spec.modelProfile),
      )?.metadata.name ?? entityRefName(d.spec.modelProfile);
    const deployments = entities.inferenceDeployments.filter(
      d => !filter.cell || sameEntityName(cellOf(d), filter.cell),
    );
    const refOf = (d: (typeof deployments)[number]) =>
      stringifyEntityRef({
        kind: d.kind,
        namespace: d.metadata.namespace,
        name: d.metadata.name,
      }).toLocaleLowerCase('en-US');
    const applied = await this.deps.firstApplied(deployments.map(refOf));
    const deploymentsOf = new Map<string, number>();
    for (const d of entities.inferenceDeployments) {
      const profile = profileOf(d);
      deploymentsOf.set(profile, (deploymentsOf.get(profile) ?? 0) + 1);
    }
    const firstHour = Math.floor(range.from / HOUR_MS) * HOUR_MS;
    const buckets = Math.max(0, Math.ceil((range.to - firstHour) / HOUR_MS));
    const rangeMs = Math.max(0, range.to - range.from);

    return Promise.all(
      deployments.map(async (deployment): Promise<DeploymentGpuSpend> => {
        const cellName = cellOf(deployment);
        const modelProfile = profileOf(deployment);
        const appliedAt = applied.get(refOf(deployment));
        const intervals = chargeableGpuIntervals({
          samples:
            (await samples?.samples(deployment.metadata.name, range)) ?? [],
          range,
          maxSampleAgeMs: samples?.maxSampleAgeMs ?? 0,
          appliedAt,
          catalogGpus: deployment.spec.gpu.count * deployment.spec.replicas.min,
        });
        const gpuHours = gpuHoursPerHour(intervals, firstHour, buckets);
        const hourly = gpuHourlyUsd[deployment.spec.gpu.type] ?? 0;
        const costUsd = gpuHours.map(h => h * hourly);

        // The tokens this deployment served: all of its model's when it is the model's one
        // deployment (a shared profile's tenants call it from their own cells); its own
        // cell's when several deployments serve the model, each its cell's traffic.
        const usage = await rollups.series(
          { from: firstHour, to: range.to },
          'hour',
          (deploymentsOf.get(modelProfile) ?? 0) > 1
            ? { modelProfile, cell: cellName }
            : { modelProfile },
          'tenant',
          COST_COLUMNS,
        );
        const tokensPerHour = new Map<string, number[]>();
        const tenantTokens = new Map<string, number>();
        for (const point of usage) {
          const index = Math.floor((point.bucket! - firstHour) / HOUR_MS);
          const tokens = point.summary.inputTokens + point.summary.outputTokens;
          if (index < 0 || index >= buckets || tokens <= 0) continue;
          const tenant = point.key!;
          if (!tokensPerHour.has(tenant))
            tokensPerHour.set(tenant, new Array(buckets).fill(0));
          tokensPerHour.get(tenant)![index] += tokens;
          tenantTokens.set(tenant, (tenantTokens.get(tenant) ?? 0) + tokens);
        }
        const totalPerHour = new Array<number>(buckets).fill(0);
        for (const tokens of tokensPerHour.values())
          tokens.forEach((t, i) => (totalPerHour[i] += t));

        const cell = entities.cells.find(c => c.metadata.name === cellName);
        const hosted = cell ? hostedTenants(cell, entities.tenants) : [];
        const soleTenant = hosted.length === 1 ? hosted[0] : undefined;
        // GPU-hours are split first, cost follows at the price: a deployment whose GPUs have
        // no price still has its hours attributed.
        const tenantGpuHours = new Map<string, number[]>();
        const hoursOf = (tenant: string) => {
          if (!tenantGpuHours.has(tenant))
            tenantGpuHours.set(tenant, new Array(buckets).fill(0));
          return tenantGpuHours.get(tenant)!;
        };
        gpuHours.forEach((hours, i) => {
          if (hours <= 0) return;
          if (totalPerHour[i] > 0) {
            for (const [tenant, tokens] of tokensPerHour)
              if (tokens[i] > 0)
                hoursOf(tenant)[i] += (hours * tokens[i]) / totalPerHour[i];
          } else if (soleTenant) hoursOf(soleTenant)[i] += hours;
        });
        const tenantCostUsd = new Map(
          [...tenantGpuHours].map(([tenant, hours]) => [
            tenant,
            hours.map(h => h * hourly),
          ]),
        );

        const msOf = (source: string) =>
          intervals
            .filter(i => i.source === source)
            .reduce((sum, i) => sum + (i.to - i.from), 0);
        return {
          deployment: deployment.metadata.name,
          cell: cellName,
          modelProfile,
          gpuType: deployment.spec.gpu.type,
          hourlyUsdPerGpu: hourly,
          firstHour,
          gpuHours,
          costUsd,
          idle: totalPerHour.map(t => t <= 0),
          tenantGpuHours,
          tenantCostUsd,
          tenantTokens,
          observedMs: msOf('observed'),
          appliedMs: msOf('applied'),
          rangeMs,
          appliedAt,
        };
      }),
    );
  }
}
