import {
  DropReason,
  ErrorClass,
  Outcome,
  RoutingDecision,
  UsageEvent,
} from '../contract/events';
import { GpuType } from '../kinds/gpus';

/**
 * What the platform backend's API answers (`/api/platform`, its OpenAPI spec is the contract),
 * declared once for the backend that builds the answers and the frontend that reads them.
 * Times are ISO 8601 strings; costs are US dollars as the gateway priced them.
 */

/** One row of the routing-decision explorer's list: enough to scan, not the candidates. */
export interface DecisionListItem {
  id: string;
  requestId: string;
  timestamp: string;
  cell: string;
  tenant: string;
  agent?: string;
  requestedModel: string;
  chosen?: string;
  policy: string;
  outcome: Outcome;
  errorClass?: ErrorClass;
  fellBack: boolean;
  dropReasons: DropReason[];
  routerDecisionMs: number;
  stateVersion: string;
  demo: boolean;
}

export interface DecisionPage {
  items: DecisionListItem[];
  /** Pass as `cursor` for the next (older) page; absent on the last page. */
  nextCursor?: string;
}

/**
 * One request in full: the decision with every candidate and why it was kept or dropped, the
 * fallbacks tried, and the usage event (tokens, cost, latencies) of the same request if it
 * arrived.
 */
export interface DecisionDetail {
  decision: RoutingDecision;
  usage?: UsageEvent;
  demo: boolean;
}

/** One group of a cost breakdown: its token cost, tokens and requests. */
export interface CostGroup {
  key: string;
  costUsd: number;
  inputTokens: number;
  outputTokens: number;
  requests: number;
}

export interface CostBreakdown {
  from: string;
  to: string;
  /** The dimension the groups are keys of. */
  groupBy: string;
  granularity: 'hour' | 'day';
  totalUsd: number;
  /** Groups by cost, highest first. */
  groups: CostGroup[];
  /** Cost per bucket per group, oldest first; buckets without traffic are absent. */
  series: Array<{ timestamp: string; key: string; costUsd: number }>;
}

/**
 * A tenant's month so far against its monthly budget, and each of its agents against its own
 * monthly and per-run budgets. `forecastUsd` projects the month's trend to its end.
 */
export interface TenantBudgetReport {
  tenant: string;
  month: string;
  asOf: string;
  budgetUsd: number;
  monthToDateUsd: number;
  usedFraction: number;
  forecastUsd: number;
  forecastFraction: number;
  daily: Array<{ date: string; costUsd: number }>;
  agents: Array<{
    agent: string;
    monthToDateUsd: number;
    monthlyBudgetUsd?: number;
    usedFraction?: number;
    forecastUsd: number;
    requests: number;
    /** Average cost of a request, against the agent's most per run. */
    averageRequestCostUsd: number;
    maxCostPerRunUsd?: number;
  }>;
}

/** GPU cost of one InferenceDeployment over a range. */
export interface GpuDeploymentCost {
  deployment: string;
  cell: string;
  modelProfile: string;
  gpuType: GpuType;
  /** GPUs held: GPUs per replica × minimum replicas, which run whether or not traffic comes. */
  gpus: number;
  gpuHours: number;
  hourlyUsdPerGpu: number;
  costUsd: number;
  /** The cost split over the tenants that used the model, by their share of its tokens. */
  tenants: Array<{ tenant: string; tokenShare: number; costUsd: number }>;
  /** Cost of GPU time no tenant used. */
  idleUsd: number;
}

export interface GpuCostReport {
  from: string;
  to: string;
  totalUsd: number;
  deployments: GpuDeploymentCost[];
  byCell: Array<{ cell: string; costUsd: number }>;
  byTenant: Array<{ tenant: string; costUsd: number }>;
}

/**
 * What the portal knows of one cell's gateway. `inSync` is whether the gateway runs the
 * state the catalog calls for now; `drift` whether, at the last check, it ran a version other
 * than the one last pushed (changed behind the reconciler's back, or restarted empty).
 */
export interface CellRuntimeStatus {
  cell: string;
  gatewayUrl?: string;
  desiredVersion?: string;
  pushedVersion?: string;
  remoteVersion?: string;
  inSync: boolean;
  drift: boolean;
  lastDriftAt?: string;
  lastAttemptAt?: string;
  lastSuccessAt?: string;
  lastError?: string;
  lastErrorAt?: string;
  consecutiveFailures: number;
  /** When the next push is tried after failures (exponential backoff). */
  nextAttemptAt?: string;
  /** Counts of what the desired state holds. */
  desired?: {
    tenants: number;
    apiKeys: number;
    modelProfiles: number;
    agents: number;
  };
}
