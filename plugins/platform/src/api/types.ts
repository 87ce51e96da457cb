import type {
  DropReason,
  ErrorClass,
  Outcome,
  RoutingDecision,
  SloObjective,
  UsageEvent,
} from '@cellport/plugin-platform-common';

/**
 * Response shapes of the platform backend, as its OpenAPI contract
 * (plugins/platform-backend/src/schema/openapi.yaml) defines them. The event types themselves
 * come from platform-common, which the backend validates against.
 */

/** A time range, ISO 8601; `to` is exclusive. */
export interface TimeRange {
  from: string;
  to: string;
}

/** The one entity a report is about. */
export type PlatformScope = { cell?: string; tenant?: string; agent?: string };

export interface DecisionFilters extends PlatformScope {
  model?: string;
  outcome?: Outcome;
  fellBack?: boolean;
  droppedFor?: DropReason;
}

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
  nextCursor?: string;
}

export interface DecisionDetail {
  decision: RoutingDecision;
  usage?: UsageEvent;
  demo: boolean;
}

/** Milliseconds; null without samples. */
export interface Percentiles {
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

export type LatencyMetricKey = 'overhead' | 'upstream' | 'ttft' | 'router';

export interface TrafficSummary {
  from: string;
  to: string;
  requests: number;
  byOutcome: Partial<Record<Outcome, number>>;
  decisions: number;
  fallbacks: number;
  cached: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  errorsByClass: Partial<Record<ErrorClass, number>>;
  latency: Partial<Record<LatencyMetricKey, Percentiles>>;
}

export type AlertState = 'ok' | 'ticket' | 'page';
export type BurnWindow = '5m' | '30m' | '1h' | '6h' | '3d';

export interface SloStatus {
  objective: SloObjective;
  source: 'entity' | 'default';
  windowStart?: string;
  windowEnd?: string;
  totalEvents: number;
  goodEvents: number;
  /** Share of good events over the window, null without events. */
  sli: number | null;
  meetingObjective?: boolean;
  errorBudget: {
    allowedBadEvents?: number;
    consumedBadEvents?: number;
    remainingBadEvents?: number;
    consumedFraction?: number;
    /** 1 is untouched, 0 spent, negative overspent. */
    remainingFraction?: number;
  };
  latency?: Percentiles;
  burnRates: Partial<Record<BurnWindow, number>>;
  alerts: Array<{
    severity: 'page' | 'ticket';
    longWindow: BurnWindow;
    shortWindow: BurnWindow;
    threshold: number;
    firing: boolean;
  }>;
  alertState: AlertState;
  budgetSeries?: Array<{
    timestamp: string;
    consumedFraction: number;
    remainingFraction: number;
  }>;
}

export interface SloReport {
  scope: { kind: 'cell' | 'tenant' | 'agent'; name: string };
  objectives: SloStatus[];
}

export type CostGroupBy = 'tenant' | 'cell' | 'agent' | 'modelProfile';

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
  groupBy: string;
  granularity: 'hour' | 'day';
  totalUsd: number;
  groups: CostGroup[];
  series: Array<{ timestamp: string; key: string; costUsd: number }>;
}

export interface TenantBudgetReport {
  tenant: string;
  month: string;
  asOf: string;
  budgetUsd: number;
  monthToDateUsd: number;
  usedFraction: number;
  /** Month-end projection from this month's daily trend. */
  forecastUsd: number;
  forecastFraction: number;
  daily: Array<{ date: string; costUsd: number }>;
  agents: Array<{
    agent: string;
    monthToDateUsd: number;
    monthlyBudgetUsd?: number;
    usedFraction?: number;
    forecastUsd?: number;
    requests: number;
    averageRequestCostUsd?: number;
    maxCostPerRunUsd?: number;
  }>;
}

export interface GpuDeploymentCost {
  deployment: string;
  cell: string;
  modelProfile: string;
  gpuType: string;
  gpus: number;
  gpuHours: number;
  hourlyUsdPerGpu: number;
  costUsd: number;
  idleUsd: number;
  tenants: Array<{ tenant: string; tokenShare: number; costUsd: number }>;
}

export interface GpuCostReport {
  from: string;
  to: string;
  totalUsd: number;
  deployments: GpuDeploymentCost[];
  byCell: Array<{ cell: string; costUsd: number }>;
  byTenant: Array<{ tenant: string; costUsd: number }>;
}

export interface CellRuntimeStatus {
  cell: string;
  gatewayUrl?: string;
  desiredVersion?: string;
  pushedVersion?: string;
  remoteVersion?: string;
  /** The gateway runs the state the catalog calls for now. */
  inSync: boolean;
  /** At the last check the gateway ran a version other than the one last pushed. */
  drift: boolean;
  lastDriftAt?: string;
  lastAttemptAt?: string;
  lastSuccessAt?: string;
  lastError?: string;
  lastErrorAt?: string;
  consecutiveFailures: number;
  nextAttemptAt?: string;
  desired?: {
    tenants: number;
    apiKeys: number;
    modelProfiles: number;
    agents: number;
  };
}
