import { GpuCostReport, TenantBudgetReport } from '../api';

/** Reports as the backend answers them, shared by the tests. */
export const budgetReport: TenantBudgetReport = {
  tenant: 'meridian-bank',
  month: '2026-11',
  asOf: '2026-11-23T07:00:00.000Z',
  budgetUsd: 40000,
  covers: ['tokens', 'gpus'],
  monthToDateUsd: 30000,
  tokenUsd: 9500,
  gpuUsd: 20500,
  usedFraction: 0.75,
  forecastUsd: 42000,
  forecastFraction: 1.05,
  forecastBasis: 'the trend of 22 complete days of token and GPU spend',
  daily: [],
  agents: [
    {
      agent: 'fraud-triage',
      monthToDateUsd: 1200,
      monthlyBudgetUsd: 1500,
      usedFraction: 0.8,
      forecastUsd: 1600,
      requests: 24000,
      averageRequestCostUsd: 0.05,
      maxCostPerRunUsd: 0.1,
    },
  ],
};

export const gpuReport: GpuCostReport = {
  from: '',
  to: '',
  totalUsd: 2400,
  deployments: [
    {
      deployment: 'llama-3-1-70b-meridian',
      cell: 'meridian-dedicated',
      modelProfile: 'llama-3-1-70b-meridian',
      gpuType: 'H100-80GB',
      gpus: 4,
      gpuHours: 96,
      gpuHoursSource: 'mixed',
      observedShare: 0.75,
      hourlyUsdPerGpu: 4,
      costUsd: 384,
      idleUsd: 96,
      tenants: [{ tenant: 'meridian-bank', tokenShare: 1, costUsd: 288 }],
    },
    {
      deployment: 'other',
      cell: 'meridian-dedicated',
      modelProfile: 'other',
      gpuType: 'L4-24GB',
      gpus: 1,
      gpuHours: 24,
      gpuHoursSource: 'applied',
      observedShare: 0,
      hourlyUsdPerGpu: 1,
      costUsd: 24,
      idleUsd: 24,
      tenants: [],
    },
  ],
  byCell: [],
  byTenant: [],
};
