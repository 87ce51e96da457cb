import type {
  LimitRange,
  Namespace,
  ResourceQuota,
  ServiceAccount,
} from 'kubernetes-types/core/v1';
import type { NetworkPolicy } from 'kubernetes-types/networking/v1';
import { TenantEntity } from '@cellport/plugin-platform-common';
import {
  GATEWAY_NAME,
  GATEWAY_PORT,
  platformLabels,
  tenantNamespace,
} from '../labels';
import { Manifest } from '../types';
import { TENANT_QUOTAS } from './tenantQuotas';
import { dnsEgressRule } from './networkRules';

/**
 * A tenant's namespace in a cell: its quota and default limits by tier, a default-deny
 * network policy that lets only the cell's gateway in and lets the tenant's pods reach only
 * DNS and the gateway, and the service account its agents run as.
 */
export function tenantNamespaceManifests(options: {
  cell: string;
  kubernetesId: string;
  tenant: TenantEntity;
  gatewayNamespace: string;
}): Manifest[] {
  const { cell, kubernetesId, tenant, gatewayNamespace } = options;
  const name = tenantNamespace(tenant.metadata.name);
  const labels = platformLabels({
    cell,
    kubernetesId,
    component: 'tenant',
    tenant: tenant.metadata.name,
  });
  const quota = TENANT_QUOTAS[tenant.spec.tier];
  const gatewayPeer = {
    namespaceSelector: {
      matchLabels: { 'kubernetes.io/metadata.name': gatewayNamespace },
    },
    podSelector: { matchLabels: { 'app.kubernetes.io/name': GATEWAY_NAME } },
  };

  const namespace: Namespace = {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name,
      labels: {
        ...labels,
        'pod-security.kubernetes.io/enforce': 'restricted',
        'cellport.dev/isolation': tenant.spec.isolation,
        'cellport.dev/classification':
          tenant.spec.dataClassification.toLowerCase(),
      },
    },
  };
  const resourceQuota: ResourceQuota = {
    apiVersion: 'v1',
    kind: 'ResourceQuota',
    metadata: { name: 'tenant-quota', namespace: name, labels },
    spec: {
      hard: {
        'requests.cpu': quota.cpu,
        'limits.cpu': quota.cpuLimit,
        'requests.memory': quota.memory,
        'limits.memory': quota.memoryLimit,
        pods: quota.pods,
        'requests.nvidia.com/gpu': '0',
      },
    },
  };
  const limitRange: LimitRange = {
    apiVersion: 'v1',
    kind: 'LimitRange',
    metadata: { name: 'tenant-defaults', namespace: name, labels },
    spec: {
      limits: [
        {
          type: 'Container',
          defaultRequest: { cpu: '100m', memory: '128Mi' },
          default: { cpu: '500m', memory: '512Mi' },
          max: { cpu: '4', memory: '8Gi' },
        },
      ],
    },
  };
  const defaultDeny: NetworkPolicy = {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: 'default-deny', namespace: name, labels },
    spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
  };
  const gatewayTraffic: NetworkPolicy = {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: 'allow-gateway', namespace: name, labels },
    spec: {
      podSelector: {},
      policyTypes: ['Ingress', 'Egress'],
      ingress: [{ from: [gatewayPeer] }],
      egress: [
        dnsEgressRule,
        { to: [gatewayPeer], ports: [{ protocol: 'TCP', port: GATEWAY_PORT }] },
      ],
    },
  };
  const serviceAccount: ServiceAccount = {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name: 'tenant-agents', namespace: name, labels },
    automountServiceAccountToken: false,
  };
  return [
    namespace,
    resourceQuota,
    limitRange,
    defaultDeny,
    gatewayTraffic,
    serviceAccount,
  ] as Manifest[];
}
