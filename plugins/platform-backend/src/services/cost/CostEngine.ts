import type {
  CostMovers,
  CostBreakdown,
  CostGroup,
  GpuCostReport,
  GpuDeploymentCost,
  TenantBudgetReport,
} from '@cellport/plugin-platform-common';
import { NotFoundError } from '@backstage/errors';
import { DeploymentGpuSpend, GpuSpendLedger } from './GpuSpendLedger';
import {
  COST_COLUMNS,
  RollupDimension,
  RollupFilter,
  RollupStore,
} from '../rollups/RollupStore';
import { DAY_MS, HOUR_MS, TimeRange } from '../rollups/timeRanges';
import { forecastBasis, forecastMonthEnd, monthBounds } from './forecast';
import { roundUsd, sumRaw, sumUsd } from './usd';
import { Clock, PlatformCatalog } from '@cellport/plugin-platform-node';
import { entityRefName } from '@cellport/plugin-platform-common';

/** A group whose cost changed most against the previous period of the same length. */
export type CostMover = CostMovers['movers'][number];

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
    costUsd: roundUsd(s.costUsd),
    inputTokens: s.inputTokens,
    outputTokens: s.outputTokens,
    requests: s.requests,
  };
}

/**
 * Token cost per tenant, cell, agent and model profile from the rollups; GPU cost of
 * self-hosted models from the GPU spend ledger; budgets from the catalog, covering both.
 */
export class CostEngine {
  constructor(
    private readonly rollups: RollupStore,
    private readonly catalog: PlatformCatalog,
    private readonly clock: Clock,
    private readonly gpu: GpuSpendLedger,
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
      .sort((a, b) => b.summary.costUsd - a.summary.costUsd)
      .map(g => group(g.key!, g.summary));
    return {
      from: new Date(range.from).toISOString(),
      to: new Date(range.to).toISOString(),
      groupBy,
      granularity,
      // From the groups' raw sums: exact, where the rounded groups may add up to n × 0.5e-9 off.
      totalUsd: sumUsd(groups.map(g => g.summary.costUsd)),
      groups: costGroups,
      series: series.map(p => ({
        timestamp: new Date(p.bucket!).toISOString(),
        key: p.key!,
        costUsd: roundUsd(p.summary.costUsd),
      })),
    };
  }

  async tenantBudget(tenant: string): Promise<TenantBudgetReport> {
    const entities = await this.catalog.entities();
    const entity = entities.tenants.find(
      t => t.metadata.name === entityRefName(tenant),
    );
    if (!entity)
      throw new NotFoundError(`No tenant named "${tenant}" in the catalog`);
    const now = this.clock.now();
    const { start, end } = monthBounds(now);
    const range = { from: start, to: now };
    const filter = { tenant: entity.metadata.name };
    const [days, agentDays, gpuSpends] = await Promise.all([
      this.rollups.series(range, 'day', filter, undefined, COST_COLUMNS),
      this.rollups.series(range, 'day', filter, 'agent', COST_COLUMNS),
      this.gpu.spend(range),
    ]);
    const tokenDaily = dailyCostsOf(days, start, now);
    const gpuDaily = gpuDailyCostsOf(
      gpuSpends,
      entity.metadata.name,
      start,
      now,
    );
    // Raw day by day; each figure below is rounded once from the raw days under it.
    const dailyCosts = tokenDaily.map((c, i) => c + gpuDaily[i]);
    const monthToDateUsd = sumUsd(dailyCosts);
    const forecastUsd = roundUsd(
      forecastMonthEnd({
        monthStart: start,
        monthEnd: end,
        now,
        dailyCosts,
      }),
    );
    const budgetUsd = entity.spec.monthlyBudgetUsd;

    const agentNames = new Set([
      ...agentDays.map(p => p.key!).filter(Boolean),
      ...entities.agents
        .filter(a => entityRefName(a.spec.tenant) === entity.metadata.name)
        .map(a => a.metadata.name),
    ]);
    const agents = [...agentNames].sort().map(agent => {
      const points = agentDays.filter(p => p.key === agent);
      const costs = dailyCostsOf(points, start, now);
      const spentRaw = sumRaw(costs);
      const spent = roundUsd(spentRaw);
      const requests = points.reduce((n, p) => n + p.summary.requests, 0);
      const spec = entities.agents.find(a => a.metadata.name === agent)?.spec;
      const monthly = spec?.runBudget.monthlyBudgetUsd;
      return {
        agent,
        monthToDateUsd: spent,
        monthlyBudgetUsd: monthly,
        usedFraction: monthly ? spent / monthly : undefined,
        forecastUsd: roundUsd(
          forecastMonthEnd({
            monthStart: start,
            monthEnd: end,
            now,
            dailyCosts: costs,
          }),
        ),
        requests,
        averageRequestCostUsd: requests ? spentRaw / requests : 0,
        maxCostPerRunUsd: spec?.runBudget.maxCostPerRunUsd,
      };
    });

    return {
      tenant: entity.metadata.name,
      month: new Date(start).toISOString().slice(0, 7),
      asOf: new Date(now).toISOString(),
      budgetUsd,
      covers: ['tokens', 'gpus'],
      monthToDateUsd,
      tokenUsd: sumUsd(tokenDaily),
      gpuUsd: sumUsd(gpuDaily),
      usedFraction: monthToDateUsd / budgetUsd,
      forecastUsd,
      forecastFraction: forecastUsd / budgetUsd,
      forecastBasis: `${forecastBasis(start, now)} of token and GPU spend`,
      daily: dailyCosts.map((costUsd, i) => ({
        date: new Date(start + i * DAY_MS).toISOString().slice(0, 10),
        costUsd: roundUsd(costUsd),
        tokenUsd: roundUsd(tokenDaily[i]),
        gpuUsd: roundUsd(gpuDaily[i]),
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
          currentUsd: roundUsd(currentUsd),
          previousUsd: roundUsd(previousUsd),
          deltaUsd: roundUsd(currentUsd - previousUsd),
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
   * no later than now, attributed to its cell and to tenants (see GpuSpendLedger).
   * `gpuHoursSource` says what the GPU-hours rest on.
   */
  async gpuCost(
    range: TimeRange,
    filter: { cell?: string; tenants?: string[] },
  ): Promise<GpuCostReport> {
    // A range that has not begun has spent nothing yet: it ends where it starts.
    const to = Math.max(range.from, Math.min(range.to, this.clock.now()));
    const spends = await this.gpu.spend(
      { from: range.from, to },
      { cell: filter.cell },
    );
    const results = spends.flatMap((spend): GpuDeploymentCost[] => {
      // Raw sums, rounded once where reported (below).
      const gpuHours = sumRaw(spend.gpuHours);
      const costUsd = sumRaw(spend.costUsd);
      const visible = [...spend.tenantCostUsd.entries()].filter(
        ([tenant]) => !filter.tenants || filter.tenants.includes(tenant),
      );
      // Shares of the tokens the caller may see: all of them, or its own tenants'.
      const totalTokens = sumRaw(
        filter.tenants
          ? visible.map(([tenant]) => spend.tenantTokens.get(tenant) ?? 0)
          : [...spend.tenantTokens.values()],
      );
      const tenants = visible
        .map(([tenant, costs]) => ({
          tenant,
          tokenShare: totalTokens
            ? (spend.tenantTokens.get(tenant) ?? 0) / totalTokens
            : 0,
          costUsd: sumRaw(costs),
        }))
        .sort((a, b) => b.costUsd - a.costUsd);
      const hours = spend.rangeMs / HOUR_MS;
      const idleUsd = sumRaw(spend.costUsd.filter((_, i) => spend.idle[i]));
      // A restricted caller sees its tenants' shares: a deployment none of them used is not
      // theirs to see, and one they share shows their part of it, in cost and GPU-hours alike
      // (GPU-hours times the price would give the whole cost back).
      let share = 1;
      if (filter.tenants) {
        if (tenants.length === 0) return [];
        const own = sumRaw(
          tenants.flatMap(t => spend.tenantGpuHours.get(t.tenant) ?? []),
        );
        share = gpuHours > 0 ? own / gpuHours : 0;
      }
      return [
        {
          deployment: spend.deployment,
          cell: spend.cell,
          modelProfile: spend.modelProfile,
          gpuType: spend.gpuType,
          gpus: hours > 0 ? (gpuHours * share) / hours : 0,
          gpuHours: gpuHours * share,
          gpuHoursSource: gpuHoursSource(spend),
          observedShare: spend.rangeMs ? spend.observedMs / spend.rangeMs : 0,
          ...(spend.appliedAt !== undefined
            ? { firstAppliedAt: new Date(spend.appliedAt).toISOString() }
            : {}),
          hourlyUsdPerGpu: spend.hourlyUsdPerGpu,
          costUsd: costUsd * share,
          tenants,
          idleUsd: idleUsd * share,
        },
      ];
    });
    // `results` hold raw figures: every figure reported is rounded once from them, the
    // totals (`totalUsd`, `byCell`, `byTenant`) from the deployments' raw costs, not from their
    // rounded ones, so a total is exact and its parts add up to it within n × 0.5e-9.
    return {
      from: new Date(range.from).toISOString(),
      to: new Date(to).toISOString(),
      totalUsd: sumUsd(results.map(d => d.costUsd)),
      deployments: results.map(d => ({
        ...d,
        costUsd: roundUsd(d.costUsd),
        idleUsd: roundUsd(d.idleUsd),
        tenants: d.tenants.map(t => ({ ...t, costUsd: roundUsd(t.costUsd) })),
      })),
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
  spend: DeploymentGpuSpend,
): GpuDeploymentCost['gpuHoursSource'] {
  if (spend.observedMs <= 0 && spend.appliedMs <= 0) return 'not-applied';
  if (spend.appliedMs <= 0) return 'observed';
  return spend.observedMs <= 0 ? 'applied' : 'mixed';
}

/** Raw costs added up per key, each sum rounded once (`sumUsd`), largest first. */
function sumBy(items: Array<{ key: string; costUsd: number }>) {
  const costs = new Map<string, number[]>();
  for (const { key, costUsd } of items)
    costs.set(key, [...(costs.get(key) ?? []), costUsd]);
  return [...costs.entries()]
    .map(([key, parts]) => ({ key, raw: sumRaw(parts) }))
    .sort((a, b) => b.raw - a.raw)
    .map(({ key, raw }) => ({ key, costUsd: roundUsd(raw) }));
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
    if (index >= 0 && index < days) {
      costs[index] += p.summary.costUsd;
    }
  }
  return costs;
}

/** A tenant's share of GPU spend per day of the month so far (raw sums). */
function gpuDailyCostsOf(
  spends: DeploymentGpuSpend[],
  tenant: string,
  monthStart: number,
  now: number,
): number[] {
  const costs = new Array(Math.floor((now - monthStart) / DAY_MS) + 1).fill(0);
  for (const spend of spends) {
    spend.tenantCostUsd.get(tenant)?.forEach((cost, hour) => {
      const index = Math.floor(
        (spend.firstHour + hour * HOUR_MS - monthStart) / DAY_MS,
      );
      if (index >= 0 && index < costs.length) costs[index] += cost;
    });
  }
  return costs;
}
