import type { SloState } from '../slo/sloState';
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
  /** GPUs held on average over the range: gpuHours / hours. */
  gpus: number;
  gpuHours: number;
  /**
   * What the GPU-hours rest on: `observed` when the pods its cluster reported cover the whole
   * range, `catalog` when no sample does (GPUs per replica × the catalog's minimum replicas,
   * which run whether or not traffic comes), `mixed` for the two.
   */
  gpuHoursSource: 'observed' | 'catalog' | 'mixed';
  /** Share of the range the cluster's samples cover, 0 to 1. */
  observedShare: number;
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
/**
 * Where a cell's gateway comes from: `config` (platform.reconciler.gateways), `catalog` (the
 * Cell's spec.gateway.baseUrl), `local-runtime` (a process the portal started, in the
 * embedded default) or `none`. Its state: `not-configured` (nothing provides one), `starting`,
 * `running`, or `failing` with `detail` saying why.
 */
export interface CellGatewayStatus {
  source: 'config' | 'catalog' | 'local-runtime' | 'none';
  state: 'not-configured' | 'starting' | 'running' | 'failing';
  detail?: string;
}

export interface CellRuntimeStatus {
  cell: string;
  /**
   * False for a cell of the catalog the reconciler has not recorded yet (it picks new cells up
   * on its next pass, or at once on a reconcile): nothing has been pushed, so only `cell` and
   * the zero values are set. Not an error.
   */
  seen: boolean;
  gatewayUrl?: string;
  /** Where the cell's gateway comes from and whether it can be reached, in words. */
  gateway: CellGatewayStatus;
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

/** An SLO's alert state: `page` and `ticket` when a burn-rate alert of that severity fires. */
export type SloAlertState = 'ok' | 'ticket' | 'page';

/** One row of the Cells overview: a cell's SLO, cost and runtime state in one place. */
export interface CellSummary {
  cell: string;
  /** The worst alert state of the cell's SLOs; absent without SLOs or without permission. */
  alertState?: SloAlertState;
  /** The worst state of the cell's SLOs (`sloState`); absent without SLOs or permission. */
  sloState?: SloState;
  /** The least error budget left among its SLOs with events (1 untouched, below 0 overspent). */
  errorBudgetRemaining?: number;
  /** Token cost this calendar month (UTC), of the tenants the caller may see. */
  monthToDateUsd?: number;
  runtime?: CellRuntimeStatus;
  /** What could not be read for this cell and why (a missing permission, a broken entity). */
  errors: string[];
}

/** The answer of `GET /cells/summary`: every cell of the catalog, by name. */
export interface CellSummaryReport {
  asOf: string;
  /** The month `monthToDateUsd` covers, `2026-11`. */
  month: string;
  cells: CellSummary[];
}

/** One Kubernetes object the deploy driver renders, applies or prunes. */
export interface DeployObjectRef {
  apiVersion: string;
  kind: string;
  /** Absent for cluster-scoped objects (Namespaces). */
  namespace?: string;
  name: string;
}

/**
 * What applying would do to one object: `create` it (absent from the cluster), `change` it (a
 * field we render differs from the live object's), leave it `unchanged`, or `prune` it (it
 * carries our labels for the entity but is no longer rendered).
 */
export type DeployAction = 'create' | 'change' | 'unchanged' | 'prune';

export interface PlannedDeployObject extends DeployObjectRef {
  action: DeployAction;
  /** For `change`: the rendered fields whose live value differs, e.g. `spec.replicas`. */
  changedFields?: string[];
}

/**
 * The cluster a Cell (or an InferenceDeployment's cell) names in `spec.cluster`, and whether
 * app-config's `kubernetes.clusterLocatorMethods` configures it. Without it the plan is still
 * rendered (everything `create`) and apply is refused; `message` says what to configure.
 */
export interface DeployCluster {
  name: string;
  configured: boolean;
  message?: string;
}

/** What applying a Cell's or InferenceDeployment's manifests would do now. */
export interface DeployPlan {
  entityRef: string;
  /** The cell whose cluster and error budget the entity deploys under. */
  cell: string;
  cluster: DeployCluster;
  /** Rendered objects in apply order (Namespaces first), then those to prune. */
  objects: PlannedDeployObject[];
  counts: Record<DeployAction, number>;
}

/**
 * What happened to one object in an apply. `applied` and `pruned` are confirmed by the
 * cluster; `failed` carries the cluster's message (for a 409, the conflicting field manager) or
 * says the outcome is unknown (the connection broke after the request was sent);
 * `not-attempted` objects were not sent at all.
 */
export type DeployObjectOutcome =
  | 'applied'
  | 'pruned'
  | 'failed'
  | 'not-attempted';

export interface DeployObjectResult extends DeployObjectRef {
  operation: 'apply' | 'prune';
  outcome: DeployObjectOutcome;
  /** For `applied`: whether the cluster changed the object (its resourceVersion moved). */
  changed?: boolean;
  message?: string;
}

/**
 * How an apply ended: `applied` (every object applied and every stale one pruned), `failed`
 * (at least one object failed or was not attempted; see each object), or `refused` (nothing
 * sent: no cluster, or the availability error budget is exhausted without an override).
 */
export type DeployResult = 'applied' | 'failed' | 'refused';

/** Counts of an apply's object outcomes. */
export interface DeployResultCounts {
  applied: number;
  /** Applied objects the cluster actually changed. */
  changed: number;
  pruned: number;
  failed: number;
  notAttempted: number;
}

/** An availability objective of the cell and what is left of its error budget. */
export interface DeployErrorBudget {
  objective: string;
  /** 1 is untouched, 0 spent, negative overspent. */
  remainingFraction: number;
}

/** The answer of `POST /deploy/apply`, also what the audit log records. */
export interface DeployApplyResponse {
  /** The audit record of this apply. */
  auditId: number;
  entityRef: string;
  cell: string;
  cluster: string;
  result: DeployResult;
  /** Why it was refused, or what failed first. */
  message?: string;
  /**
   * True when the cell's availability error budget is spent: without an override reason the
   * apply is refused, and the portal asks for one.
   */
  errorBudgetExhausted: boolean;
  errorBudgets: DeployErrorBudget[];
  overrideReason?: string;
  objects: DeployObjectResult[];
  counts: DeployResultCounts;
}

/** Rollout of one Deployment or StatefulSet of the entity, as the cluster reports it. */
export interface WorkloadRollout {
  kind: 'Deployment' | 'StatefulSet';
  namespace: string;
  name: string;
  desiredReplicas: number;
  /** Pods that exist now, old and new, ready or not: each holds its GPUs. */
  replicas: number;
  updatedReplicas: number;
  readyReplicas: number;
  availableReplicas: number;
  /**
   * The controller has seen the newest spec and every desired replica is updated and
   * available.
   */
  rolledOut: boolean;
  conditions: Array<{
    type: string;
    status: string;
    reason?: string;
    message?: string;
    lastTransitionTime?: string;
  }>;
}

export interface DeployRolloutStatus {
  entityRef: string;
  cluster: DeployCluster;
  workloads: WorkloadRollout[];
}

/** One apply attempt in the append-only audit log. */
export interface DeployAuditRecord {
  id: number;
  /** When the attempt ended. */
  at: string;
  /** Who asked: a user entity ref, or `service:<subject>`. */
  actor: string;
  entityRef: string;
  cluster: string;
  result: DeployResult;
  message?: string;
  overrideReason?: string;
  errorBudgets: DeployErrorBudget[];
  counts: DeployResultCounts;
  objects: DeployObjectResult[];
}

export interface DeployAuditPage {
  /** Newest first. */
  items: DeployAuditRecord[];
}

/**
 * An API key revealed once (`POST /api/platform/api-keys/reveals/:token`). The platform keeps
 * only the key's SHA-256; after this answer nothing can show the key again.
 */
export interface RevealedApiKey {
  apiKey: string;
  /** Tenant entity ref. */
  tenant: string;
  /** Agent entity ref, when the key is bound to one agent. */
  agent?: string;
  /** The key's first characters, as the Tenant's API keys card lists it. */
  prefix: string;
  /** The gateway of the tenant's cell, where the reconciler pushes the key: where to call. */
  gateway?: TenantGateway;
}

/** The gateway that serves a tenant: its cell's, as the reconciler locates it. */
export interface TenantGateway {
  cell: string;
  /** Absent while nothing provides the cell's gateway (see `status`). */
  url?: string;
  status: CellGatewayStatus;
}

/** One API key of a tenant or agent as the portal lists it: never the key, never its hash. */
export interface ApiKeySummary {
  prefix: string;
  /** The first characters of the key's SHA-256, to tell keys with one prefix apart. */
  fingerprint: string;
  /** Tenant entity ref. */
  tenant: string;
  /** Agent entity ref, when the key is bound to one agent. */
  agent?: string;
  /** Where the key's hash lives: an entity's `cellport.dev/api-keys`, or the platform database (rotation). */
  source: 'catalog' | 'portal';
  createdAt?: string;
  /** Set once the key was rotated out: it works until then. */
  expiresAt?: string;
}

/** `GET /api/platform/api-keys`: the keys of a tenant (with its agents') or of one agent. */
export interface ApiKeyList {
  items: ApiKeySummary[];
  /** Whether the caller holds platform.apikey.rotate for the tenant. */
  mayRotate: boolean;
}

/** `POST /api/platform/api-keys/rotate`: the new key, sealed for the rotating user. */
export interface RotatedApiKey {
  /** The new key's prefix. */
  prefix: string;
  /** The portal page that reveals the new key, once, to the user who rotated. */
  revealUrl: string;
  /** When that link expires. */
  revealExpiresAt: string;
  /** The old key, valid until its `expiresAt`. */
  replaced: { prefix: string; expiresAt: string };
  /** Whether the cell's gateway took the new state right away. */
  gatewaySynced: boolean;
}
