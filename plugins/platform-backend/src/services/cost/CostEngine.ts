import type {
  CostBreakdown,
  CostGroup,
  GpuCostReport,
  GpuDeploymentCost,
  TenantBudgetReport,
} from '@cellport/plugin-platform-common';
import { NotFoundError } from '@backstage/errors';
import { GpuType } from '@cellport/plugin-platform-common';
import { PlatformCatalog, refName } from '../catalog/PlatformCatalog';
import { GpuReplicaSampleStore } from './GpuReplicaSampleStore';
import { Clock } from '../clock';
import {
  COST_COLUMNS,
  RollupDimension,
  RollupFilter,
  RollupStore,
} from '../rollups/RollupStore';
import { DAY_MS, HOUR_MS, TimeRange } from '../rollups/timeRanges';
import { forecastMonthEnd, monthBounds } from './forecast';

/** A group whose cost changed most against the previous period of the same length. */
export interface CostMover {
  key: string;
  currentUsd: number;
  previousUsd: number;
  deltaUsd: number;
  /** Relative change; null when the previous period cost nothing. */
  deltaFraction: number | null;
}

export interface CostMovers {
  period: CostPeriod;
  groupBy: RollupDimension;
  current: { from: string; to: string };
  previous: { from: string; to: string };
  movers: CostMover[];
}

export type CostPeriod = 'day' | 'week' | 'month';
const PERIOD_MS: Record<CostPeriod, number> = {
  day: DAY_MS,
  week: 7 * DAY_MS,
  month: 30 * DAY_MS,
};

function group(
  key: string,
  s: {
    costUsd: number;
    inputTokens: number;
    outputTokens: number;
    requests: number;
  },
): CostGroup {
  return {
    key,
    costUsd: s.costUsd,
    inputTokens: s.inputTokens,
    outputTokens: s.outputTokens,
    requests: s.requests,
  };
}

/**
 * Token cost per tenant, cell, agent and model profile from the rollups; budgets from the
 * catalog; GPU cost of self-hosted models from GPU-hours and the configured hourly prices.
 */
export class CostEngine {
  constructor(
    private readonly rollups: RollupStore,
    private readonly catalog: PlatformCatalog,
    private readonly clock: Clock,
    private readonly gpuHourlyUsd: Record<GpuType, number>,
    private readonly gpuSamples?: GpuReplicaSampleStore,
  ) {}

  async breakdown(
    range: TimeRange,
    groupBy: RollupDimension,
    granularity: 'hour' | 'day',
    filter: RollupFilter,
  ): Promise<CostBreakdown> {
    const [groups, series] = await Promise.all([
      this.rollups.breakdown(range, filter, groupBy, COST_COLUMNS),
      this.rollups.series(range, granularity, filter, groupBy, COST_COLUMNS),
    ]);
    const costGroups = groups
      .map(g => group(g.key!, g.summary))
      .sort((a, b) => b.costUsd - a.costUsd);
    return {
      from: new Date(range.from).toISOString(),
      to: new Date(range.to).toISOString(),
      groupBy,
      granularity,
      totalUsd: costGroups.reduce((sum, g) => sum + g.costUsd, 0),
      groups: costGroups,
      series: series.map(p => ({
        timestamp: new Date(p.bucket!).toISOString(),
        key: p.key!,
        costUsd: p.summary.costUsd,
      })),
    };
  }

  async tenantBudget(tenant: string): Promise<TenantBudgetReport> {
    const entities = await this.catalog.entities();
    const entity = entities.tenants.find(
      t => t.metadata.name === refName(tenant),
    );
    if (!entity)
      throw new NotFoundError(`No tenant named "${tenant}" in the catalog`);
    const now = this.clock.now();
    const { start, end } = monthBounds(now);
    const range = { from: start, to: now };
    const filter = { tenant: entity.metadata.name };
    const [days, agentDays] = await Promise.all([
      this.rollups.series(range, 'day', filter, undefined, COST_COLUMNS),
      this.rollups.series(range, 'day', filter, 'agent', COST_COLUMNS),
    ]);
    const dailyCosts = dailyCostsOf(days, start, now);
    const monthToDateUsd = dailyCosts.reduce((s, c) => s + c, 0);
    const forecastUsd = forecastMonthEnd({
      monthStart: start,
      monthEnd: end,
      now,
      dailyCosts,
    });
    const budgetUsd = entity.spec.monthlyBudgetUsd;

    const agentNames = new Set([
      ...agentDays.map(p => p.key!).filter(Boolean),
      ...entities.agents
        .filter(a => refName(a.spec.tenant) === entity.metadata.name)
        .map(a => a.metadata.name),
    ]);
    const agents = [...agentNames].sort().map(agent => {
      const points = agentDays.filter(p => p.key === agent);
      const costs = dailyCostsOf(points, start, now);
      const spent = costs.reduce((s, c) => s + c, 0);
      const requests = points.reduce((n, p) => n + p.summary.requests, 0);
      const spec = entities.agents.find(a => a.metadata.name === agent)?.spec;
      const monthly = spec?.runBudget.monthlyBudgetUsd;
      return {
        agent,
        monthToDateUsd: spent,
        monthlyBudgetUsd: monthly,
        usedFraction: monthly ? spent / monthly : undefined,
        forecastUsd: forecastMonthEnd({
          monthStart: start,
          monthEnd: end,
          now,
          dailyCosts: costs,
        }),
        requests,
        averageRequestCostUsd: requests ? spent / requests : 0,
        maxCostPerRunUsd: spec?.runBudget.maxCostPerRunUsd,
      };
    });

    return {
      tenant: entity.metadata.name,
      month: new Date(start).toISOString().slice(0, 7),
      asOf: new Date(now).toISOString(),
      budgetUsd,
      monthToDateUsd,
      usedFraction: monthToDateUsd / budgetUsd,
      forecastUsd,
      forecastFraction: forecastUsd / budgetUsd,
      daily: dailyCosts.map((costUsd, i) => ({
        date: new Date(start + i * DAY_MS).toISOString().slice(0, 10),
        costUsd,
      })),
      agents,
    };
  }

  async movers(
    period: CostPeriod,
    groupBy: RollupDimension,
    filter: RollupFilter,
    limit: number,
  ): Promise<CostMovers> {
    const now = this.clock.now();
    const length = PERIOD_MS[period];
    const current = { from: now - length, to: now };
    const previous = { from: now - 2 * length, to: now - length };
    const [currentGroups, previousGroups] = await Promise.all([
      this.rollups.breakdown(current, filter, groupBy, COST_COLUMNS),
      this.rollups.breakdown(previous, filter, groupBy, COST_COLUMNS),
    ]);
    const keys = new Set(
      [...currentGroups, ...previousGroups].map(g => g.key!),
    );
    const costOf = (groups: typeof currentGroups, key: string) =>
      groups.find(g => g.key === key)?.summary.costUsd ?? 0;
    const movers = [...keys]
      .map(key => {
        const currentUsd = costOf(currentGroups, key);
        const previousUsd = costOf(previousGroups, key);
        return {
          key,
          currentUsd,
          previousUsd,
          deltaUsd: currentUsd - previousUsd,
          deltaFraction:
            previousUsd > 0 ? (currentUsd - previousUsd) / previousUsd : null,
        };
      })
      .sort((a, b) => Math.abs(b.deltaUsd) - Math.abs(a.deltaUsd))
      .slice(0, limit);
    const iso = (r: TimeRange) => ({
      from: new Date(r.from).toISOString(),
      to: new Date(r.to).toISOString(),
    });
    return {
      period,
      groupBy,
      current: iso(current),
      previous: iso(previous),
      movers,
    };
  }

  /**
   * GPU cost of every InferenceDeployment (of one cell, when given) over a range that ends
   * no later than now. Attributed to its cell, and to tenants by their share of the tokens
   * its model profile served in the range.
   *
   * GPU-hours come from the pods its cluster reported (sampled by the deploy driver); time no
   * sample covers counts at the catalog's minimum replicas, which run whatever the traffic.
   * `gpuHoursSource` says which of the two a figure rests on.
   */
  async gpuCost(
    range: TimeRange,
    filter: { cell?: string; tenants?: string[] },
  ): Promise<GpuCostReport> {
    const to = Math.min(range.to, this.clock.now());
    const rangeMs = Math.max(0, to - range.from);
    const hours = rangeMs / HOUR_MS;
    const entities = await this.catalog.entities();
    const deployments = entities.inferenceDeployments.filter(
      d => !filter.cell || refName(d.spec.cell) === filter.cell,
    );
    const results: GpuDeploymentCost[] = [];
    for (const deployment of deployments) {
      const modelProfile = refName(deployment.spec.modelProfile);
      const observed = (await this.gpuSamples?.observed(
        deployment.metadata.name,
        { from: range.from, to },
      )) ?? { gpuHours: 0, observedMs: 0 };
      const catalogGpus =
        deployment.spec.gpu.count * deployment.spec.replicas.min;
      const gpuHours =
        observed.gpuHours +
        (catalogGpus * (rangeMs - observed.observedMs)) / HOUR_MS;
      const hourly = this.gpuHourlyUsd[deployment.spec.gpu.type] ?? 0;
      const costUsd = gpuHours * hourly;
      const usage = await this.rollups.breakdown(
        { from: range.from, to },
        { modelProfile },
        'tenant',
        COST_COLUMNS,
      );
      const tokens = (g: (typeof usage)[number]) =>
        g.summary.inputTokens + g.summary.outputTokens;
      const totalTokens = usage.reduce((n, g) => n + tokens(g), 0);
      const tenants = usage
        .filter(g => tokens(g) > 0)
        .map(g => ({
          tenant: g.key!,
          tokenShare: tokens(g) / totalTokens,
          costUsd: (costUsd * tokens(g)) / totalTokens,
        }))
        .filter(t => !filter.tenants || filter.tenants.includes(t.tenant));
      results.push({
        deployment: deployment.metadata.name,
        cell: refName(deployment.spec.cell),
        modelProfile,
        gpuType: deployment.spec.gpu.type,
        gpus: hours > 0 ? gpuHours / hours : catalogGpus,
        gpuHours,
        gpuHoursSource: gpuHoursSource(observed.observedMs, rangeMs),
        observedShare: rangeMs > 0 ? observed.observedMs / rangeMs : 0,
        hourlyUsdPerGpu: hourly,
        costUsd,
        tenants,
        idleUsd: totalTokens > 0 ? 0 : costUsd,
      });
    }
    return {
      from: new Date(range.from).toISOString(),
      to: new Date(to).toISOString(),
      totalUsd: results.reduce((s, d) => s + d.costUsd, 0),
      deployments: results,
      byCell: sumBy(
        results.map(d => ({ key: d.cell, costUsd: d.costUsd })),
      ).map(({ key, costUsd }) => ({ cell: key, costUsd })),
      byTenant: sumBy(
        results.flatMap(d =>
          d.tenants.map(t => ({ key: t.tenant, costUsd: t.costUsd })),
        ),
      ).map(({ key, costUsd }) => ({ tenant: key, costUsd })),
    };
  }
}

function gpuHoursSource(
  observedMs: number,
  rangeMs: number,
): GpuDeploymentCost['gpuHoursSource'] {
  if (observedMs <= 0) return 'catalog';
  return observedMs >= rangeMs ? 'observed' : 'mixed';
}

function sumBy(items: Array<{ key: string; costUsd: number }>) {
  const sums = new Map<string, number>();
  for (const { key, costUsd } of items)
    sums.set(key, (sums.get(key) ?? 0) + costUsd);
  return [...sums.entries()]
    .map(([key, costUsd]) => ({ key, costUsd }))
    .sort((a, b) => b.costUsd - a.costUsd);
}

function dailyCostsOf(
  points: Array<{ bucket?: number; summary: { costUsd: number } }>,
  monthStart: number,
  now: number,
): number[] {
  const days = Math.floor((now - monthStart) / DAY_MS) + 1;
  const costs = new Array(days).fill(0);
  for (const p of points) {
    const index = Math.floor((p.bucket! - monthStart) / DAY_MS);
    if (index >= 0 && index < days) costs[index] += p.summary.costUsd;
  }
  return costs;
}
