import {
  DeployAction,
  DeployCluster,
  DeployPlan,
  PlannedDeployObject,
} from '@cellport/plugin-platform-deploy-common';
import { FIELD_MANAGER, Manifest } from '@cellport/plugin-platform-node';
import { appliedChanges, changedFields } from './changedFields';
import { DeployTarget } from './DeployTargets';
import { KubernetesApiClient } from '../cluster/KubernetesApiClient';
import { KubernetesApiError } from '../cluster/KubernetesApiError';
import {
  applyOrder,
  describeRef,
  KubernetesObject,
  objectKey,
} from '../cluster/kubernetesObjects';

/**
 * Every type the renderer produces, searched for stale objects to prune. A type is searched
 * even when the entity no longer renders any object of it, so dropping, say, a
 * PodDisruptionBudget from the renderer prunes the live ones.
 */
const RENDERED_TYPES: Array<{ apiVersion: string; kind: string }> = [
  { apiVersion: 'v1', kind: 'Namespace' },
  { apiVersion: 'v1', kind: 'ServiceAccount' },
  { apiVersion: 'v1', kind: 'Service' },
  { apiVersion: 'v1', kind: 'ResourceQuota' },
  { apiVersion: 'v1', kind: 'LimitRange' },
  { apiVersion: 'apps/v1', kind: 'Deployment' },
  { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler' },
  { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget' },
  { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy' },
];

/** One rendered object against its live counterpart. */
export interface PlannedApply {
  manifest: Manifest;
  /** The live object; absent when it is to be created. */
  live?: KubernetesObject;
  action: Exclude<DeployAction, 'prune'>;
  changedFields: string[];
}

/** What an apply would send: every rendered object, then the stale ones to delete. */
export interface LivePlan {
  apply: PlannedApply[];
  /** Namespaced objects first, Namespaces last. */
  prune: KubernetesObject[];
}

/**
 * Compares what the renderer produces for an entity with what its cluster holds: each
 * rendered object is created, changed (a field we render differs live) or unchanged; live
 * objects with the entity's labels that are no longer rendered are pruned.
 */
export class DeployPlanner {
  /** The plan against the live cluster. Reads only; any failure to read rejects. */
  async plan(
    client: KubernetesApiClient,
    target: DeployTarget,
  ): Promise<LivePlan> {
    const types = new Map(
      [...RENDERED_TYPES, ...target.manifests].map(t => [
        `${t.apiVersion}/${t.kind}`,
        { apiVersion: t.apiVersion, kind: t.kind },
      ]),
    );
    const [lives, labelled] = await Promise.all([
      Promise.all(target.manifests.map(manifest => client.get(manifest))),
      Promise.all(
        [...types.values()].map(t =>
          client.list(t.apiVersion, t.kind, target.selector),
        ),
      ),
    ]);
    const rendered = new Set(target.manifests.map(objectKey));
    const apply = await Promise.all(
      target.manifests.map(async (manifest, i): Promise<PlannedApply> => {
        const live = lives[i];
        if (!live) return { manifest, action: 'create', changedFields: [] };
        const changed = await this.changes(client, manifest, live);
        return {
          manifest,
          live,
          action: changed.length > 0 ? 'change' : 'unchanged',
          changedFields: changed,
        };
      }),
    );
    const stale = new Map(
      labelled
        .flat()
        .filter(o => !rendered.has(objectKey(o)))
        .map(o => [objectKey(o), o]),
    );
    return { apply, prune: applyOrder([...stale.values()]).reverse() };
  }

  /**
   * How an object would change: asked of the API server by a dry-run apply, so that what it
   * merges, defaults and normalises counts as it will. A dry run refused for a conflict with
   * another field manager (the apply itself would be) falls back to comparing the fields we
   * render with the live ones.
   */
  private async changes(
    client: KubernetesApiClient,
    manifest: Manifest,
    live: KubernetesObject,
  ): Promise<string[]> {
    try {
      const after = await client.apply(manifest, FIELD_MANAGER, {
        dryRun: true,
      });
      return appliedChanges(after, live);
    } catch (error) {
      if (error instanceof KubernetesApiError && error.status === 409) {
        return changedFields(manifest, live);
      }
      throw error;
    }
  }

  /** Without a cluster to read, every rendered object would be created. */
  offline(target: DeployTarget): LivePlan {
    return {
      apply: target.manifests.map(manifest => ({
        manifest,
        action: 'create',
        changedFields: [],
      })),
      prune: [],
    };
  }

  /** The plan as the API answers it. */
  describe(
    target: DeployTarget,
    cluster: DeployCluster,
    plan: LivePlan,
  ): DeployPlan {
    const objects: PlannedDeployObject[] = [
      ...plan.apply.map(entry => ({
        ...describeRef(entry.manifest),
        action: entry.action,
        ...(entry.action === 'change'
          ? { changedFields: entry.changedFields }
          : {}),
      })),
      ...plan.prune.map(live => ({
        ...describeRef(live),
        action: 'prune' as const,
      })),
    ];
    const counts: Record<DeployAction, number> = {
      create: 0,
      change: 0,
      unchanged: 0,
      prune: 0,
    };
    for (const object of objects) counts[object.action] += 1;
    return {
      entityRef: target.entityRef,
      cell: target.cell,
      cluster,
      objects,
      counts,
    };
  }
}
