import type { DiscoveryApi, FetchApi } from '@backstage/frontend-plugin-api';
import { PlatformApi } from './PlatformApi';
import { PlatformRequestError } from './PlatformRequestError';
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

  async getCellRuntime(cell: string): Promise<CellRuntimeStatus | undefined> {
    const response = await this.fetch(
      `/cells/${encodeURIComponent(cell)}/runtime`,
    );
    if (response.status === 404) return undefined;
    return this.json(response);
  }

  async reconcileCell(cell: string): Promise<CellRuntimeStatus> {
    const response = await this.fetch(
      `/cells/${encodeURIComponent(cell)}/runtime/reconcile`,
      {},
      { method: 'POST' },
    );
    return this.json(response);
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
