import { sloState } from '@cellport/plugin-platform-common';
import { PlatformApi, SloReport, SloStatus, TrafficSummary } from '../api';

/** A traffic summary of a range without requests. */
export function emptyTraffic(): TrafficSummary {
  return {
    from: '2026-11-22T00:00:00.000Z',
    to: '2026-11-23T00:00:00.000Z',
    requests: 0,
    byOutcome: {},
    decisions: 0,
    fallbacks: 0,
    cached: 0,
    inputTokens: 0,
    outputTokens: 0,
    costUsd: 0,
    errorsByClass: {},
    latency: {},
  };
}

/** A PlatformApi whose every method is a jest mock, answering empty data unless overridden. */
export function mockPlatformApi(
  overrides: Partial<PlatformApi> = {},
): jest.Mocked<PlatformApi> {
  const empty = {
    listDecisions: jest.fn(async () => ({ items: [] })),
    getDecision: jest.fn(async () => {
      throw new Error('404 No routing decision');
    }),
    getSloReport: jest.fn(
      async (): Promise<SloReport> => ({
        scope: { kind: 'cell', name: 'x' },
        objectives: [],
      }),
    ),
    getTraffic: jest.fn(async () => emptyTraffic()),
    getTrafficSeries: jest.fn(async () => ({
      ...emptyTraffic(),
      buckets: [],
    })),
    getCostBreakdown: jest.fn(async () => ({
      from: '2026-11-16T00:00:00.000Z',
      to: '2026-11-23T00:00:00.000Z',
      groupBy: 'tenant',
      granularity: 'day' as const,
      totalUsd: 0,
      groups: [],
      series: [],
    })),
    getTenantBudget: jest.fn(async () => {
      throw new Error('404 No tenant');
    }),
    getGpuCost: jest.fn(async () => ({
      from: '2026-11-16T00:00:00.000Z',
      to: '2026-11-23T00:00:00.000Z',
      totalUsd: 0,
      deployments: [],
      byCell: [],
      byTenant: [],
    })),
    getCellRuntime: jest.fn(async (cell: string) => ({
      cell,
      seen: false,
      gateway: { source: 'local-runtime' as const, state: 'running' as const },
      inSync: false,
      drift: false,
      consecutiveFailures: 0,
    })),
    getCellSummaries: jest.fn(async () => ({
      asOf: '2026-11-23T00:00:00.000Z',
      month: '2026-11',
      cells: [],
    })),
    reconcileCell: jest.fn(async () => {
      throw new Error('403 Not allowed');
    }),
    revealApiKey: jest.fn(async () => {
      throw new Error('404 already revealed');
    }),
    listApiKeys: jest.fn(async () => ({ items: [], mayRotate: false })),
    rotateApiKey: jest.fn(async () => {
      throw new Error('403 Not allowed');
    }),
    getDeployPlan: jest.fn(async (entityRef: string) => ({
      entityRef,
      cell: 'x',
      cluster: { name: 'x', configured: false, message: 'No cluster "x"' },
      objects: [],
      counts: { create: 0, change: 0, unchanged: 0, prune: 0 },
    })),
    applyDeploy: jest.fn(async () => {
      throw new Error('403 Not allowed: platform.deploy.apply');
    }),
    getDeployStatus: jest.fn(async (entityRef: string) => ({
      entityRef,
      cluster: { name: 'x', configured: false },
      workloads: [],
    })),
    getDeployAudit: jest.fn(async () => ({ items: [] })),
    listAlerts: jest.fn(async () => ({ items: [] })),
    startReplay: jest.fn(async () => {
      throw new Error('403 Not allowed: platform.decisions.read');
    }),
    getReplay: jest.fn(async () => {
      throw new Error('404 No replay');
    }),
    cancelReplay: jest.fn(async () => {
      throw new Error('404 No replay');
    }),
    listRecommendations: jest.fn(async () => {
      throw new Error('403 Not allowed: platform.decisions.read');
    }),
  };
  return { ...empty, ...overrides } as jest.Mocked<PlatformApi>;
}

/** An SLO status as the backend reports it, with sensible numbers to override. */
export function sloStatus(overrides: Partial<SloStatus> = {}): SloStatus {
  const status: Omit<SloStatus, 'state'> = {
    objective: {
      name: 'gateway-availability',
      indicator: 'availability',
      target: 0.999,
      window: '28d',
    },
    source: 'entity',
    totalEvents: 10000,
    goodEvents: 9995,
    sli: 0.9995,
    meetingObjective: true,
    errorBudget: {
      allowedBadEvents: 10,
      consumedBadEvents: 5,
      remainingBadEvents: 5,
      consumedFraction: 0.5,
      remainingFraction: 0.5,
    },
    burnRates: { '5m': 0.2, '30m': 0.4, '1h': 0.5, '6h': 0.6, '3d': 0.5 },
    alerts: [
      {
        severity: 'page',
        longWindow: '1h',
        shortWindow: '5m',
        threshold: 14.4,
        firing: false,
      },
      {
        severity: 'page',
        longWindow: '6h',
        shortWindow: '30m',
        threshold: 6,
        firing: false,
      },
      {
        severity: 'ticket',
        longWindow: '3d',
        shortWindow: '6h',
        threshold: 1,
        firing: false,
      },
    ],
    alertState: 'ok',
    budgetSeries: [
      {
        timestamp: '2026-11-21T00:00:00.000Z',
        consumedFraction: 0.3,
        remainingFraction: 0.7,
      },
      {
        timestamp: '2026-11-22T00:00:00.000Z',
        consumedFraction: 0.5,
        remainingFraction: 0.5,
      },
    ],
    ...overrides,
  };
  // The state follows the same rule as the backend's unless a test sets it.
  return {
    ...status,
    state:
      overrides.state ??
      sloState({
        totalEvents: status.totalEvents,
        remainingFraction: status.errorBudget.remainingFraction,
        alertState: status.alertState,
      }),
  };
}
