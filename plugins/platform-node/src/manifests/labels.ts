import { KUBERNETES_ID_ANNOTATION } from '@cellport/plugin-platform-common';

/** The namespace of a cell's own runtime (its gateway) in dedicated and customer-VPC cells. */
export const RUNTIME_NAMESPACE = 'cellport-runtime';
/** The namespace of a cell's vLLM deployments. */
export const INFERENCE_NAMESPACE = 'cellport-inference';
/** Field manager of every server-side apply Cellport makes. */
export const FIELD_MANAGER = 'cellport';

export const GATEWAY_NAME = 'cellport-gateway';
export const GATEWAY_PORT = 7080;
/**
 * The gateway's `/metrics`, apart from its API: a scrape shows every tenant's spend and
 * models, so only the monitoring namespace may reach it (the portal's metrics port too).
 */
export const GATEWAY_METRICS_PORT = 9464;
/** The namespace Prometheus runs in, the one let through to the metrics ports. */
export const MONITORING_NAMESPACE = 'monitoring';

/** The namespace a tenant's workloads run in, in any cell. */
export function tenantNamespace(tenant: string): string {
  return `tenant-${tenant}`;
}

/**
 * Labels on every object Cellport renders. `backstage.io/kubernetes-id` is what Backstage's
 * Kubernetes plugin selects an entity's workloads by; `cellport.dev/cell` lets the deploy
 * driver list what it owns in a cluster for pruning.
 */
export function platformLabels(options: {
  cell: string;
  kubernetesId: string;
  component: string;
  tenant?: string;
}): Record<string, string> {
  return {
    'app.kubernetes.io/part-of': 'cellport',
    'app.kubernetes.io/managed-by': FIELD_MANAGER,
    'app.kubernetes.io/component': options.component,
    'cellport.dev/cell': options.cell,
    ...(options.tenant ? { 'cellport.dev/tenant': options.tenant } : {}),
    [KUBERNETES_ID_ANNOTATION]: options.kubernetesId,
  };
}

/** Pod security that every Cellport container runs under. */
export const restrictedSecurityContext = {
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  runAsNonRoot: true,
  capabilities: { drop: ['ALL'] },
  seccompProfile: { type: 'RuntimeDefault' },
};
