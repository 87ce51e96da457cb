import { TenantTier } from '@cellport/plugin-platform-common';

/** What a tenant's namespace may consume, by the tenant's tier. */
export const TENANT_QUOTAS: Record<
  TenantTier,
  {
    cpu: string;
    cpuLimit: string;
    memory: string;
    memoryLimit: string;
    pods: string;
  }
> = {
  free: {
    cpu: '2',
    cpuLimit: '4',
    memory: '4Gi',
    memoryLimit: '8Gi',
    pods: '10',
  },
  basic: {
    cpu: '4',
    cpuLimit: '8',
    memory: '8Gi',
    memoryLimit: '16Gi',
    pods: '20',
  },
  premium: {
    cpu: '16',
    cpuLimit: '32',
    memory: '32Gi',
    memoryLimit: '64Gi',
    pods: '50',
  },
  enterprise: {
    cpu: '64',
    cpuLimit: '128',
    memory: '128Gi',
    memoryLimit: '256Gi',
    pods: '200',
  },
};
