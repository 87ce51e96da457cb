export type {
  CellRuntimeStatus,
  CellSummary,
  CellSummaryReport,
  CostBreakdown,
  CostGroup,
  DecisionDetail,
  DecisionListItem,
  DecisionPage,
  GpuCostReport,
  GpuDeploymentCost,
  SloState,
  TenantBudgetReport,
} from '@cellport/plugin-platform-common';
export type {
  DeployAction,
  DeployApplyResponse,
  DeployAuditPage,
  DeployAuditRecord,
  DeployCluster,
  DeployObjectResult,
  DeployPlan,
  DeployRolloutStatus,
  PlannedDeployObject,
  WorkloadRollout,
} from '@cellport/plugin-platform-common';
import type {
  SloAlertState,
  SloState,
  DropReason,
  ErrorClass,
  Outcome,
  SloObjective,
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

/** A summary with the summaries of its range's equal parts, oldest first. */
export interface TrafficSeries extends TrafficSummary {
  buckets: TrafficSummary[];
}

/** An SLO's alert state, as platform-common declares it for the backend and the portal. */
export type AlertState = SloAlertState;
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
  /** One word that cannot contradict the budget: no data / ok / burning / exhausted. */
  state: SloState;
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
