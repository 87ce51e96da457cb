import { createApiRef } from '@backstage/frontend-plugin-api';
import type {
  ApiKeyList,
  ReceivedAlertList,
  ReceivedAlertState,
  RecommendationList,
  ReplayJob,
  ReplayRequest,
  RevealedApiKey,
  RotatedApiKey,
} from '@cellport/plugin-platform-common';
import type {
  DeployApplyResponse,
  DeployAuditPage,
  DeployPlan,
  DeployRolloutStatus,
} from '@cellport/plugin-platform-deploy-common';
import {
  CellRuntimeStatus,
  CellSummaryReport,
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
  TrafficSeries,
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

  /**
   * The same summary, with the summaries of the range cut into `buckets` equal parts (oldest
   * first): a chart's series in one request.
   */
  getTrafficSeries(
    range: TimeRange,
    scope: PlatformScope,
    buckets: number,
  ): Promise<TrafficSeries>;

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
   * What the reconciler pushed to a cell's gateway and how that went. A cell the reconciler
   * has not recorded yet, which is normal for a new cell, resolves with `seen: false`.
   */
  getCellRuntime(cell: string): Promise<CellRuntimeStatus>;

  /**
   * Every cell's SLO state, error budget left, month-to-date cost and runtime in one call: the
   * Cells overview. A part the user may not read is named in the row's `errors`.
   */
  getCellSummaries(): Promise<CellSummaryReport>;

  /** Reconciles a cell's gateway now, ignoring retry backoff; needs `platform.runtime.manage`. */
  reconcileCell(cell: string): Promise<CellRuntimeStatus>;

  /**
   * Reveals a key the scaffolder created, once: the answer is the only time anyone sees it.
   * Rejects with 404 when it was already revealed or the link expired, 403 for another user.
   */
  revealApiKey(token: string): Promise<RevealedApiKey>;

  /**
   * The API keys of a tenant (its own and its agents') or of one agent: prefixes, fingerprints
   * and dates, never a key; and whether the user may rotate them.
   */
  listApiKeys(
    owner: { tenant: string } | { agent: string },
  ): Promise<ApiKeyList>;

  /**
   * Replaces a key of the tenant (by prefix; needs `platform.apikey.rotate` for the tenant): the
   * new key is revealed once to this user from `revealUrl`, the old one works until
   * `replaced.expiresAt`. 404 for an unknown prefix, 409 for a key already rotated out.
   */
  rotateApiKey(tenant: string, prefix: string): Promise<RotatedApiKey>;

  /**
   * What applying a Cell's or InferenceDeployment's manifests (by entity ref) would do: each
   * object created, changed, unchanged or pruned, and whether its cluster is configured.
   */
  getDeployPlan(entityRef: string): Promise<DeployPlan>;

  /**
   * Applies the entity's manifests to its cluster; needs `platform.deploy.apply`. Resolves with
   * the audited attempt, a refusal for a spent error budget included (then retry with an
   * override reason); rejects when no cluster is configured (400) or not permitted (403).
   */
  applyDeploy(
    entityRef: string,
    overrideReason?: string,
  ): Promise<DeployApplyResponse>;

  /** Rollout status of the entity's Deployments and StatefulSets. */
  getDeployStatus(entityRef: string): Promise<DeployRolloutStatus>;

  /** The entity's applies in the audit log, newest first. */
  getDeployAudit(entityRef: string, limit?: number): Promise<DeployAuditPage>;

  /** Alerts Alertmanager posted for a cell, newest first, the reader's tenants' only. */
  listAlerts(query: {
    cell?: string;
    state?: ReceivedAlertState;
  }): Promise<ReceivedAlertList>;

  /**
   * Starts replaying a cell's or an agent's decisions over a range (at most 31 days) under a
   * proposed change; resolves with the running job. Rejects with 400 naming the field, 403
   * when the replay would show decisions of a tenant the user may not read.
   */
  startReplay(request: ReplayRequest): Promise<ReplayJob>;

  /** A replay job: its progress while running, its result when done. */
  getReplay(id: string): Promise<ReplayJob>;

  /** Cancels a running replay; an ended one resolves as it ended. */
  cancelReplay(id: string): Promise<ReplayJob>;

  /**
   * A cell's or a tenant's cheaper routing, replayed over its agents' last `days` of
   * decisions, best first. Rejects with 403 when the user may not read those decisions.
   */
  listRecommendations(query: {
    cell?: string;
    tenant?: string;
    days?: number;
  }): Promise<RecommendationList>;
}

/** The platform backend's API, as the portal uses it. */
export const platformApiRef = createApiRef<PlatformApi>({
  id: 'plugin.platform.service',
});
