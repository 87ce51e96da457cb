import type { DiscoveryApi, FetchApi } from '@backstage/frontend-plugin-api';
import {
  ApiKeyList,
  PlatformApiClient,
  ReceivedAlertList,
  ReceivedAlertState,
  RecommendationList,
  ReplayJob,
  ReplayRequest,
  RevealedApiKey,
  RotatedApiKey,
  TypedResponse,
} from '@cellport/plugin-platform-common';
import {
  DeployApplyResponse,
  DeployAuditPage,
  DeployPlan,
  DeployRolloutStatus,
  PlatformDeployApiClient,
} from '@cellport/plugin-platform-deploy-common';
import { PlatformApi } from './PlatformApi';
import { PlatformRequestError } from './PlatformRequestError';
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
 * The PlatformApi over the client generated from the backend's OpenAPI document, with the
 * signed-in user's token (fetchApi adds it). A non-2xx answer rejects with its message.
 */
export class PlatformClient implements PlatformApi {
  private readonly client: PlatformApiClient;
  /** The deploy driver is a backend plugin of its own (`/api/platform-deploy`). */
  private readonly deploy: PlatformDeployApiClient;

  constructor(deps: { discoveryApi: DiscoveryApi; fetchApi: FetchApi }) {
    this.client = new PlatformApiClient(deps);
    this.deploy = new PlatformDeployApiClient(deps);
  }

  listDecisions(
    range: TimeRange,
    { fellBack, ...filters }: DecisionFilters,
    page: { limit?: number; cursor?: string } = {},
  ): Promise<DecisionPage> {
    return body(
      this.client.listDecisions({
        query: {
          ...range,
          ...filters,
          ...page,
          fellBack: fellBack === undefined ? undefined : `${fellBack}`,
        },
      }),
    );
  }

  getDecision(id: string): Promise<DecisionDetail> {
    return body(this.client.getDecision({ path: { id } }));
  }

  getSloReport(scope: PlatformScope): Promise<SloReport> {
    return body(this.client.getSloReport({ query: scope }));
  }

  getTraffic(range: TimeRange, scope: PlatformScope): Promise<TrafficSummary> {
    return body(
      this.client.getTrafficSummary({ query: { ...range, ...scope } }),
    );
  }

  getTrafficSeries(
    range: TimeRange,
    scope: PlatformScope,
    buckets: number,
  ): Promise<TrafficSeries> {
    return body(
      this.client.getTrafficSummary({ query: { ...range, ...scope, buckets } }),
    );
  }

  getCostBreakdown(
    range: TimeRange,
    scope: PlatformScope,
    options: { groupBy: CostGroupBy; granularity: 'hour' | 'day' },
  ): Promise<CostBreakdown> {
    return body(
      this.client.getCostBreakdown({
        query: { ...range, ...scope, ...options },
      }),
    );
  }

  getTenantBudget(tenant: string): Promise<TenantBudgetReport> {
    return body(this.client.getTenantBudget({ query: { tenant } }));
  }

  getGpuCost(range: TimeRange, cell?: string): Promise<GpuCostReport> {
    return body(this.client.getGpuCost({ query: { ...range, cell } }));
  }

  getCellRuntime(cell: string): Promise<CellRuntimeStatus> {
    return body(this.client.getCellRuntime({ path: { ref: cell } }));
  }

  getCellSummaries(): Promise<CellSummaryReport> {
    return body(this.client.getCellSummaries());
  }

  reconcileCell(cell: string): Promise<CellRuntimeStatus> {
    return body(this.client.reconcileCell({ path: { ref: cell } }));
  }

  revealApiKey(token: string): Promise<RevealedApiKey> {
    return body(this.client.revealApiKey({ path: { token } }));
  }

  listApiKeys(
    owner: { tenant: string } | { agent: string },
  ): Promise<ApiKeyList> {
    return body(this.client.listApiKeys({ query: owner }));
  }

  rotateApiKey(tenant: string, prefix: string): Promise<RotatedApiKey> {
    return body(this.client.rotateApiKey({ body: { tenant, prefix } }));
  }

  getDeployPlan(entityRef: string): Promise<DeployPlan> {
    return body(this.deploy.getDeployPlan({ query: { entityRef } }));
  }

  applyDeploy(
    entityRef: string,
    overrideReason?: string,
  ): Promise<DeployApplyResponse> {
    return body(
      this.deploy.applyDeploy({ body: { entityRef, overrideReason } }),
    );
  }

  getDeployStatus(entityRef: string): Promise<DeployRolloutStatus> {
    return body(this.deploy.getDeployStatus({ query: { entityRef } }));
  }

  getDeployAudit(entityRef: string, limit?: number): Promise<DeployAuditPage> {
    return body(this.deploy.listDeployAudit({ query: { entityRef, limit } }));
  }

  listAlerts(query: {
    cell?: string;
    state?: ReceivedAlertState;
  }): Promise<ReceivedAlertList> {
    return body(this.client.listAlerts({ query }));
  }

  startReplay(request: ReplayRequest): Promise<ReplayJob> {
    return body(this.client.startReplay({ body: request }));
  }

  getReplay(id: string): Promise<ReplayJob> {
    return body(this.client.getReplay({ path: { id } }));
  }

  cancelReplay(id: string): Promise<ReplayJob> {
    return body(this.client.cancelReplay({ path: { id } }));
  }

  listRecommendations(query: {
    cell?: string;
    tenant?: string;
    days?: number;
  }): Promise<RecommendationList> {
    return body(this.client.listRecommendations({ query }));
  }
}

/** The answer's body, or a PlatformRequestError with the backend's message. */
async function body<T>(pending: Promise<TypedResponse<T>>): Promise<T> {
  const response = await pending;
  if (!response.ok) {
    throw await PlatformRequestError.from(response as unknown as Response);
  }
  return response.json();
}
