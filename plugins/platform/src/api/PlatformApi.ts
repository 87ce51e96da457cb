import { createApiRef } from '@backstage/frontend-plugin-api';
import {
  CellRuntimeStatus,
  CostBreakdown,
  CostGroupBy,
  DecisionDetail,
  DecisionFilters,
  DecisionPage,
  GpuCostReport,
  PlatformScope,
  SloReport,
  TenantBudgetReport,
  TimeRange,
  TrafficSummary,
} from './types';

/**
 * What the portal reads from the platform backend (`/api/platform`). Every call is made as the
 * signed-in user: tenant-scoped reads return only the tenants that user may see, and a call
 * naming another tenant fails with a 403 (a `ResponseError`).
 *
 * Names are catalog entity names (`meridian-dedicated`), not full refs: they are what the
 * gateway records on every event.
 */
export interface PlatformApi {
  /**
   * Routing decisions in the range, newest first, one page at a time. Pass the previous page's
   * `nextCursor` to read on; the filters must stay the same between pages.
   */
  listDecisions(
    range: TimeRange,
    filters: DecisionFilters,
    page?: { limit?: number; cursor?: string },
  ): Promise<DecisionPage>;

  /** One decision in full (every candidate and why), with the usage event of its request. */
  getDecision(id: string): Promise<DecisionDetail>;

  /**
   * SLIs, error budgets, burn rates and alert states of exactly one cell, tenant or agent.
   * SLOs are computed over their own rolling window (28 or 30 days), not over a picked range:
   * an error budget is a property of the window, so the report takes no time range.
   */
  getSloReport(scope: PlatformScope): Promise<SloReport>;

  /** Requests, outcomes, tokens, cost and latency percentiles (ms) over the range. */
  getTraffic(range: TimeRange, scope: PlatformScope): Promise<TrafficSummary>;

  /** Token cost over the range, grouped, with an hourly or daily series per group. */
  getCostBreakdown(
    range: TimeRange,
    scope: PlatformScope,
    options: { groupBy: CostGroupBy; granularity: 'hour' | 'day' },
  ): Promise<CostBreakdown>;

  /**
   * A tenant's spend this calendar month (UTC) against its monthly budget, with a month-end
   * forecast from the month's daily trend, and its agents against their run budgets.
   */
  getTenantBudget(tenant: string): Promise<TenantBudgetReport>;

  /**
   * GPU cost of inference deployments: GPUs × minimum replicas × hours × the configured price
   * per GPU, whether or not traffic used them; `idleUsd` is the share no token used.
   */
  getGpuCost(range: TimeRange, cell?: string): Promise<GpuCostReport>;

  /**
   * What the reconciler pushed to a cell's gateway and how that went. Resolves to undefined
   * when the reconciler has not seen the cell yet (a 404), which is normal for a new cell.
   */
  getCellRuntime(cell: string): Promise<CellRuntimeStatus | undefined>;

  /** Reconciles a cell's gateway now, ignoring retry backoff; needs `platform.runtime.manage`. */
  reconcileCell(cell: string): Promise<CellRuntimeStatus>;
}

/** The platform backend's API, as the portal uses it. */
export const platformApiRef = createApiRef<PlatformApi>({
  id: 'plugin.platform.service',
});
