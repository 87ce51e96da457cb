import { DeployObjectRef } from '@cellport/plugin-platform-deploy-common';

/** An object as the API server returns it. */
export interface KubernetesObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    resourceVersion?: string;
    generation?: number;
    [field: string]: unknown;
  };
  [field: string]: unknown;
}

/** What names an object: its type, namespace and name. */
export type ObjectRef = Pick<KubernetesObject, 'apiVersion' | 'kind'> & {
  metadata: { name: string; namespace?: string };
};

/**
 * The group of an apiVersion: objects are the same whichever version of their group they are
 * read through (`autoscaling/v2` and `autoscaling/v1` HPAs are one object).
 */
function group(apiVersion: string): string {
  return apiVersion.includes('/') ? apiVersion.split('/')[0] : '';
}

/** One key per object in a cluster. */
export function objectKey(ref: ObjectRef): string {
  return [
    group(ref.apiVersion),
    ref.kind,
    ref.metadata.namespace ?? '',
    ref.metadata.name,
  ].join('/');
}

export function describeRef(ref: ObjectRef): DeployObjectRef {
  return {
    apiVersion: ref.apiVersion,
    kind: ref.kind,
    ...(ref.metadata.namespace ? { namespace: ref.metadata.namespace } : {}),
    name: ref.metadata.name,
  };
}

/**
 * Apply order: Namespaces first (everything else lives in them), then the rest as rendered.
 * Prune goes the other way round, so a Namespace goes last, after what it holds.
 */
export function applyOrder<T extends { kind: string }>(objects: T[]): T[] {
  return [
    ...objects.filter(o => o.kind === 'Namespace'),
    ...objects.filter(o => o.kind !== 'Namespace'),
  ];
}

/** Renders a label selector: `a=b,c!=d`. */
export function labelSelector(
  selector: Record<string, string | { not: string }>,
): string {
  return Object.entries(selector)
    .map(([key, value]) =>
      typeof value === 'string' ? `${key}=${value}` : `${key}!=${value.not}`,
    )
    .join(',');
}
