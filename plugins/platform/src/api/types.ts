import type {
  BurnRates,
  GetCostBreakdownQuery,
  GetTrafficSummaryQuery,
  ListDecisionsQuery,
  SloAlertState,
  TrafficSummary,
} from '@cellport/plugin-platform-common';

// The platform backend's answers, generated from its OpenAPI document
// (plugins/platform-backend/src/schema/openapi.yaml) into platform-common.
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
  Percentiles,
  ReceivedAlert,
  ReceivedAlertList,
  ProposedChange,
  ReplayChangedRoute,
  ReplayJob,
  ReplayRequest,
  ReplayResult,
  SloReport,
  SloState,
  SloStatus,
  TenantBudgetReport,
  TrafficSeries,
  TrafficSummary,
} from '@cellport/plugin-platform-common';
// The deploy driver's, from its own document (plugins/platform-deploy-backend) into
// platform-deploy-common.
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
} from '@cellport/plugin-platform-deploy-common';

// What the portal's calls take, in the document's words.

/** A time range, ISO 8601; `to` is exclusive. */
export type TimeRange = Required<Pick<GetTrafficSummaryQuery, 'from' | 'to'>>;

/** The one entity a report is about. */
export type PlatformScope = Pick<
  GetTrafficSummaryQuery,
  'cell' | 'tenant' | 'agent'
>;

/** The explorer's filters; `fellBack` is sent as the query's `true`/`false`. */
export type DecisionFilters = PlatformScope &
  Pick<ListDecisionsQuery, 'model' | 'outcome' | 'droppedFor'> & {
    fellBack?: boolean;
  };

export type LatencyMetricKey = keyof TrafficSummary['latency'];
export type AlertState = SloAlertState;
export type BurnWindow = keyof BurnRates;
export type CostGroupBy = NonNullable<GetCostBreakdownQuery['groupBy']>;
