/** A resource type the fake API server serves. */
export interface ResourceType {
  /** '' for the core group. */
  group: string;
  version: string;
  kind: string;
  plural: string;
  namespaced: boolean;
}

const type = (
  apiVersion: string,
  kind: string,
  plural: string,
  namespaced = true,
): ResourceType => {
  const [group, version] = apiVersion.includes('/')
    ? apiVersion.split('/')
    : ['', apiVersion];
  return { group, version, kind, plural, namespaced };
};

/**
 * What the renderer produces, plus what Backstage's Kubernetes plugin lists for an entity's
 * workloads tab (pods, replica sets, jobs...).
 */
export const RESOURCE_TYPES: ResourceType[] = [
  type('v1', 'Namespace', 'namespaces', false),
  type('v1', 'Pod', 'pods'),
  type('v1', 'Service', 'services'),
  type('v1', 'ServiceAccount', 'serviceaccounts'),
  type('v1', 'ConfigMap', 'configmaps'),
  type('v1', 'Secret', 'secrets'),
  type('v1', 'ResourceQuota', 'resourcequotas'),
  type('v1', 'LimitRange', 'limitranges'),
  type('apps/v1', 'Deployment', 'deployments'),
  type('apps/v1', 'StatefulSet', 'statefulsets'),
  type('apps/v1', 'ReplicaSet', 'replicasets'),
  type('apps/v1', 'DaemonSet', 'daemonsets'),
  type('autoscaling/v2', 'HorizontalPodAutoscaler', 'horizontalpodautoscalers'),
  type('policy/v1', 'PodDisruptionBudget', 'poddisruptionbudgets'),
  type('networking.k8s.io/v1', 'NetworkPolicy', 'networkpolicies'),
  type('networking.k8s.io/v1', 'Ingress', 'ingresses'),
  type('batch/v1', 'Job', 'jobs'),
  type('batch/v1', 'CronJob', 'cronjobs'),
];

export function apiVersionOf(t: ResourceType): string {
  return t.group ? `${t.group}/${t.version}` : t.version;
}

/** `deployments.apps`, as the API server names a resource in messages. */
export function qualifiedPlural(t: ResourceType): string {
  return t.group ? `${t.plural}.${t.group}` : t.plural;
}
