import {
  CompoundEntityRef,
  DEFAULT_NAMESPACE,
  Entity,
  parseEntityRef,
} from '@backstage/catalog-model';
import { PlatformKind } from '@cellport/plugin-platform-common';

/** One reference a platform entity makes to another entity, and where in its spec it is. */
export interface PlatformReference {
  /** Dotted field path, e.g. `spec.routing.fallbackChain[1]`. */
  field: string;
  target: CompoundEntityRef;
}

type RefField = {
  path: string[];
  defaultKind: string;
};

/**
 * The fields of each kind that refer to other entities, with the kind a short reference
 * resolves to. Relations and the unknown-reference check both read this one table.
 */
const REFERENCE_FIELDS: Record<PlatformKind, RefField[]> = {
  Tenant: [
    { path: ['owner'], defaultKind: 'Group' },
    { path: ['cell'], defaultKind: 'Cell' },
    { path: ['modelAllowlist'], defaultKind: 'ModelProfile' },
  ],
  Cell: [
    { path: ['owner'], defaultKind: 'Group' },
    { path: ['tenants'], defaultKind: 'Tenant' },
  ],
  Agent: [
    { path: ['owner'], defaultKind: 'Group' },
    { path: ['tenant'], defaultKind: 'Tenant' },
    { path: ['cell'], defaultKind: 'Cell' },
    { path: ['modelProfiles'], defaultKind: 'ModelProfile' },
    { path: ['routing', 'fallbackChain'], defaultKind: 'ModelProfile' },
  ],
  ModelProfile: [{ path: ['owner'], defaultKind: 'Group' }],
  InferenceDeployment: [
    { path: ['owner'], defaultKind: 'Group' },
    { path: ['cell'], defaultKind: 'Cell' },
    { path: ['modelProfile'], defaultKind: 'ModelProfile' },
  ],
};

function readPath(spec: unknown, path: string[]): unknown {
  return path.reduce<unknown>(
    (value, key) =>
      value && typeof value === 'object'
        ? (value as Record<string, unknown>)[key]
        : undefined,
    spec,
  );
}

/** Every reference a (validated) platform entity makes, resolved to full entity refs. */
export function platformReferences(
  kind: PlatformKind,
  entity: Entity,
): PlatformReference[] {
  const namespace = entity.metadata.namespace ?? DEFAULT_NAMESPACE;
  const refs: PlatformReference[] = [];
  for (const { path, defaultKind } of REFERENCE_FIELDS[kind]) {
    const value = readPath(entity.spec, path);
    const field = `spec.${path.join('.')}`;
    const values = Array.isArray(value) ? value : [value];
    values.forEach((ref, index) => {
      if (typeof ref !== 'string') return;
      refs.push({
        field: Array.isArray(value) ? `${field}[${index}]` : field,
        target: parseEntityRef(ref, {
          defaultKind,
          defaultNamespace: namespace,
        }),
      });
    });
  }
  return refs;
}
