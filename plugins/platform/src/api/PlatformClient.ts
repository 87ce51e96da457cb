import type { DiscoveryApi, FetchApi } from '@backstage/frontend-plugin-api';
import type {
  ApiKeyList,
  DeployApplyResponse,
  DeployAuditPage,
  DeployPlan,
  DeployRolloutStatus,
  RevealedApiKey,
  RotatedApiKey,
} from '@cellport/plugin-platform-common';
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

type Query = Record<string, string | number | boolean | undefined>;

/** The PlatformApi over HTTP, with the signed-in user's token (fetchApi adds it). */
export class PlatformClient implements PlatformApi {
  constructor(
    private readonly deps: { discoveryApi: DiscoveryApi; fetchApi: FetchApi },
  ) {}

  listDecisions(
    range: TimeRange,
    filters: DecisionFilters,
    page: { limit?: number; cursor?: string } = {},
  ): Promise<DecisionPage> {
    return this.get('/decisions', { ...range, ...filters, ...page });
  }

  getDecision(id: string): Promise<DecisionDetail> {
    return this.get(`/decisions/${encodeURIComponent(id)}`);
  }

  getSloReport(scope: PlatformScope): Promise<SloReport> {
    return this.get('/slos', scope);
  }

  getTraffic(range: TimeRange, scope: PlatformScope): Promise<TrafficSummary> {
    return this.get('/traffic', { ...range, ...scope });
  }

  getTrafficSeries(
    range: TimeRange,
    scope: PlatformScope,
    buckets: number,
  ): Promise<TrafficSeries> {
    return this.get('/traffic', { ...range, ...scope, buckets });
  }

  getCostBreakdown(
    range: TimeRange,
    scope: PlatformScope,
    options: { groupBy: CostGroupBy; granularity: 'hour' | 'day' },
  ): Promise<CostBreakdown> {
    return this.get('/cost/breakdown', { ...range, ...scope, ...options });
  }

  getTenantBudget(tenant: string): Promise<TenantBudgetReport> {
    return this.get('/cost/budget', { tenant });
  }

  getGpuCost(range: TimeRange, cell?: string): Promise<GpuCostReport> {
    return this.get('/cost/gpu', { ...range, cell });
  }

  getCellRuntime(cell: string): Promise<CellRuntimeStatus> {
    return this.get(`/cells/${encodeURIComponent(cell)}/runtime`);
  }

  getCellSummaries(): Promise<CellSummaryReport> {
    return this.get('/cells/summary');
  }

  async reconcileCell(cell: string): Promise<CellRuntimeStatus> {
    const response = await this.fetch(
      `/cells/${encodeURIComponent(cell)}/runtime/reconcile`,
      {},
      { method: 'POST' },
    );
    return this.json(response);
  }

  async revealApiKey(token: string): Promise<RevealedApiKey> {
    const response = await this.fetch(
      `/api-keys/reveals/${encodeURIComponent(token)}`,
      {},
      { method: 'POST' },
    );
    return this.json(response);
  }

  listApiKeys(
    owner: { tenant: string } | { agent: string },
  ): Promise<ApiKeyList> {
    return this.get('/api-keys', owner);
  }

  async rotateApiKey(tenant: string, prefix: string): Promise<RotatedApiKey> {
    const response = await this.fetch(
      '/api-keys/rotate',
      {},
      {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ tenant, prefix }),
      },
    );
    return this.json(response);
  }

  getDeployPlan(entityRef: string): Promise<DeployPlan> {
    return this.get('/deploy/plan', { entityRef });
  }

  async applyDeploy(
    entityRef: string,
    overrideReason?: string,
  ): Promise<DeployApplyResponse> {
    const response = await this.fetch(
      '/deploy/apply',
      {},
      {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ entityRef, overrideReason }),
      },
    );
    return this.json(response);
  }

  getDeployStatus(entityRef: string): Promise<DeployRolloutStatus> {
    return this.get('/deploy/status', { entityRef });
  }

  getDeployAudit(entityRef: string, limit?: number): Promise<DeployAuditPage> {
    return this.get('/deploy/audit', { entityRef, limit });
  }

  private async get<T>(path: string, query: Query = {}): Promise<T> {
    return this.json(await this.fetch(path, query));
  }

  private async fetch(path: string, query: Query = {}, init?: RequestInit) {
    const baseUrl = await this.deps.discoveryApi.getBaseUrl('platform');
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) {
      if (value !== undefined && value !== '') params.set(key, String(value));
    }
    const search = params.toString();
    return this.deps.fetchApi.fetch(
      `${baseUrl}${path}${search ? `?${search}` : ''}`,
      init,
    );
  }

  private async json<T>(response: Response): Promise<T> {
    if (!response.ok) throw await PlatformRequestError.from(response);
    return (await response.json()) as T;
  }
}
