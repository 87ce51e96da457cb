import { LoggerService } from '@backstage/backend-plugin-api';
import { Config } from '@backstage/config';
import { InputError, ServiceUnavailableError } from '@backstage/errors';
import {
  DeployApplyResponse,
  DeployAuditPage,
  DeployCluster,
  DeployObjectResult,
  DeployPlan,
  DeployResultCounts,
  DeployRolloutStatus,
  WorkloadRollout,
} from '@cellport/plugin-platform-deploy-common';
import { FIELD_MANAGER, PlatformCatalog } from '@cellport/plugin-platform-node';
import { readDeploySettings } from '../config/deploySettings';
import { DeployAuditEntry, DeployAuditLog } from '../audit/DeployAuditLog';
import { DeployPlanner, LivePlan } from '../plan/DeployPlanner';
import { DeployTarget, DeployTargets } from '../plan/DeployTargets';
import { ErrorBudgetGate } from '../gate/ErrorBudgetGate';
import { KubernetesApiClient } from '../cluster/KubernetesApiClient';
import { KubernetesApiError } from '../cluster/KubernetesApiError';
import {
  ClusterLookup,
  KubernetesClusterConfig,
} from '../cluster/KubernetesClusterConfig';
import { KubernetesUnreachableError } from '../cluster/KubernetesUnreachableError';
import { describeRef, KubernetesObject } from '../cluster/kubernetesObjects';

export interface DeployServiceOptions {
  targets: DeployTargets;
  clusters: KubernetesClusterConfig;
  planner: DeployPlanner;
  gate: ErrorBudgetGate;
  audit: DeployAuditLog;
  logger: LoggerService;
  /** Timeout of one Kubernetes API request. */
  requestTimeoutMs: number;
}

/** Who applies, and why they go ahead while the error budget is spent or cannot be read. */
export interface ApplyRequest {
  actor: string;
  overrideReason?: string;
}

const WORKLOAD_TYPES = [
  { apiVersion: 'apps/v1', kind: 'Deployment' },
  { apiVersion: 'apps/v1', kind: 'StatefulSet' },
] as const;

/**
 * The deploy driver: plans and applies a Cell's or InferenceDeployment's rendered manifests
 * to the cluster its cell names, with server-side apply under Cellport's field manager, prunes
 * what it no longer renders, and reads rollout status back. Every apply attempt is audited.
 */
export class DeployService {
  /**
   * Clusters from `kubernetes.clusterLocatorMethods` (as Backstage's Kubernetes plugin reads
   * them), images and the request timeout from `platform.deploy`.
   */
  static fromConfig(
    config: Config,
    deps: Pick<DeployServiceOptions, 'gate' | 'audit' | 'logger'> & {
      catalog: PlatformCatalog;
    },
  ): DeployService {
    const settings = readDeploySettings(config);
    return new DeployService({
      targets: new DeployTargets(deps.catalog, settings.images),
      clusters: KubernetesClusterConfig.fromConfig(config),
      planner: new DeployPlanner(),
      gate: deps.gate,
      audit: deps.audit,
      logger: deps.logger,
      requestTimeoutMs: settings.requestTimeoutSeconds * 1000,
    });
  }

  constructor(private readonly options: DeployServiceOptions) {}

  /** What applying would do; without a configured cluster, everything is a create. */
  async plan(entityRef: string): Promise<DeployPlan> {
    const { targets, planner } = this.options;
    const target = await targets.resolve(entityRef);
    const lookup = this.lookup(target);
    if (!lookup.configured) {
      return planner.describe(
        target,
        this.clusterState(target, lookup),
        planner.offline(target),
      );
    }
    const plan = await this.readCluster(target, () =>
      planner.plan(this.client(lookup), target),
    );
    return planner.describe(target, this.clusterState(target, lookup), plan);
  }

  /**
   * Applies the entity's objects (Namespaces first) and, when every one was applied, prunes
   * its stale objects. Refused, and nothing sent, without a configured cluster (an InputError)
   * or while the cell's availability error budget is spent, or cannot be read, and no override
   * reason is given.
   * An object that fails does not stop the others; losing the cluster does, and whatever was
   * not sent is reported as not attempted.
   */
  async apply(
    entityRef: string,
    request: ApplyRequest,
  ): Promise<DeployApplyResponse> {
    const { targets, gate, planner, logger } = this.options;
    const target = await targets.resolve(entityRef);
    const overrideReason = request.overrideReason?.trim() || undefined;
    const base = {
      actor: request.actor,
      entityRef: target.entityRef,
      cluster: target.cluster,
      ...(overrideReason ? { overrideReason } : {}),
    };
    const notAttempted = (message?: string) =>
      target.manifests.map(manifest =>
        objectResult(manifest, 'apply', 'not-attempted', message),
      );

    const lookup = this.lookup(target);
    if (!lookup.configured) {
      const message = `No cluster configured for cell "${target.cell}": ${lookup.message}`;
      await this.record(target, {
        ...base,
        result: 'refused',
        message,
        errorBudgets: [],
        objects: notAttempted(),
      });
      throw new InputError(message);
    }

    const budget = await gate.check(target.cell);
    if (budget.unknown && !overrideReason) {
      const refused = await this.record(target, {
        ...base,
        result: 'refused',
        message: `${budget.message}; changes wait until they can be read, or give an override reason`,
        errorBudgets: [],
        objects: notAttempted(),
      });
      return { ...refused, errorBudgetUnknown: true };
    }
    if (budget.exhausted && !overrideReason) {
      return this.record(target, {
        ...base,
        result: 'refused',
        message: `The availability error budget of cell "${
          target.cell
        }" is exhausted; changes wait until it recovers, or give an override reason${
          budget.message ? `. ${budget.message}` : ''
        }`,
        errorBudgets: budget.budgets,
        objects: notAttempted(),
      });
    }

    const client = this.client(lookup);
    let plan: LivePlan;
    try {
      plan = await planner.plan(client, target);
    } catch (error) {
      const message = `Nothing was applied: ${clusterMessage(error)}`;
      return this.record(target, {
        ...base,
        result: 'failed',
        message,
        errorBudgets: budget.budgets,
        objects: notAttempted(),
      });
    }

    const objects = await this.send(client, plan);
    const failure = objects.find(
      o => o.outcome === 'failed' || o.outcome === 'not-attempted',
    );
    const response = await this.record(target, {
      ...base,
      result: failure ? 'failed' : 'applied',
      // An objective, or budgets, the gate could not read is said with the result, not hidden.
      ...(failure?.message || budget.message
        ? {
            message: [failure?.message, budget.message]
              .filter(Boolean)
              .join('. '),
          }
        : {}),
      errorBudgets: budget.budgets,
      objects,
    });
    logger.info(
      `Deploy ${response.result} ${target.entityRef} to cluster ${
        target.cluster
      } by ${request.actor}: ${JSON.stringify(response.counts)}${
        overrideReason ? ' (error budget override)' : ''
      }`,
    );
    return response;
  }

  /** The entity's Deployments and StatefulSets and how far their rollouts are. */
  async status(entityRef: string): Promise<DeployRolloutStatus> {
    const target = await this.options.targets.resolve(entityRef);
    const lookup = this.lookup(target);
    const cluster = this.clusterState(target, lookup);
    if (!lookup.configured) {
      return { entityRef: target.entityRef, cluster, workloads: [] };
    }
    const client = this.client(lookup);
    const lists = await this.readCluster(target, () =>
      Promise.all(
        WORKLOAD_TYPES.map(t =>
          client.list(t.apiVersion, t.kind, target.selector),
        ),
      ),
    );
    return {
      entityRef: target.entityRef,
      cluster,
      workloads: lists.flat().map(rollout),
    };
  }

  /** The audit log, newest first; of one entity when `entityRef` is given. */
  async auditLog(options: {
    entityRef?: string;
    limit: number;
  }): Promise<DeployAuditPage> {
    return { items: await this.options.audit.list(options) };
  }

  /**
   * Sends the plan: every rendered object, then, only if all of them were applied, the
   * deletes of stale ones. After a lost connection nothing more is sent.
   */
  private async send(
    client: KubernetesApiClient,
    plan: LivePlan,
  ): Promise<DeployObjectResult[]> {
    const results: DeployObjectResult[] = [];
    let lost: string | undefined;
    for (const entry of plan.apply) {
      if (lost) {
        results.push(
          objectResult(entry.manifest, 'apply', 'not-attempted', lost),
        );
        continue;
      }
      try {
        const applied = await client.apply(entry.manifest, FIELD_MANAGER);
        results.push({
          ...objectResult(entry.manifest, 'apply', 'applied'),
          changed:
            entry.live?.metadata.resourceVersion !==
            applied.metadata.resourceVersion,
        });
      } catch (error) {
        const outcome = sendFailure(error);
        lost = outcome.lost;
        results.push(
          objectResult(
            entry.manifest,
            'apply',
            outcome.outcome,
            outcome.message,
          ),
        );
      }
    }

    const allApplied = results.every(r => r.outcome === 'applied');
    for (const live of plan.prune) {
      if (!allApplied || lost) {
        results.push(
          objectResult(
            live,
            'prune',
            'not-attempted',
            lost ??
              'Not pruned: stale objects are deleted only after every object applied',
          ),
        );
        continue;
      }
      try {
        const removed = await client.remove(live);
        results.push(
          objectResult(
            live,
            'prune',
            'pruned',
            removed === 'absent' ? 'already gone' : undefined,
          ),
        );
      } catch (error) {
        const outcome = sendFailure(error);
        lost = outcome.lost;
        results.push(
          objectResult(live, 'prune', outcome.outcome, outcome.message),
        );
      }
    }
    return results;
  }

  private async record(
    target: DeployTarget,
    entry: Omit<DeployAuditEntry, 'counts'>,
  ): Promise<DeployApplyResponse> {
    const record = await this.options.audit.append({
      ...entry,
      counts: countOutcomes(entry.objects),
    });
    return {
      auditId: record.id,
      entityRef: record.entityRef,
      cell: target.cell,
      cluster: record.cluster,
      result: record.result,
      ...(record.message ? { message: record.message } : {}),
      errorBudgetExhausted: record.errorBudgets.some(
        b => b.remainingFraction <= 0,
      ),
      errorBudgets: record.errorBudgets,
      ...(record.overrideReason
        ? { overrideReason: record.overrideReason }
        : {}),
      objects: record.objects,
      counts: record.counts,
    };
  }

  private lookup(target: DeployTarget): ClusterLookup {
    return this.options.clusters.lookup(target.cluster);
  }

  private clusterState(
    target: DeployTarget,
    lookup: ClusterLookup,
  ): DeployCluster {
    return lookup.configured
      ? { name: target.cluster, configured: true }
      : { name: target.cluster, configured: false, message: lookup.message };
  }

  private client(lookup: Extract<ClusterLookup, { configured: true }>) {
    return new KubernetesApiClient(lookup.cluster, {
      timeoutMs: this.options.requestTimeoutMs,
    });
  }

  /** Reads from the cluster; a cluster that fails to answer is a 503 naming it. */
  private async readCluster<T>(
    target: DeployTarget,
    read: () => Promise<T>,
  ): Promise<T> {
    try {
      return await read();
    } catch (error) {
      if (
        error instanceof KubernetesUnreachableError ||
        error instanceof KubernetesApiError
      ) {
        throw new ServiceUnavailableError(
          `Could not read cluster "${target.cluster}": ${error.message}`,
        );
      }
      throw error;
    }
  }
}

function objectResult(
  ref: Parameters<typeof describeRef>[0],
  operation: DeployObjectResult['operation'],
  outcome: DeployObjectResult['outcome'],
  message?: string,
): DeployObjectResult {
  return {
    ...describeRef(ref),
    operation,
    outcome,
    ...(message ? { message } : {}),
  };
}

/**
 * What a failed request means for its object and for the rest: an error answer fails only
 * that object; a lost connection stops the apply, and whether the object was changed is
 * unknown if the request had gone out.
 */
function sendFailure(error: unknown): {
  outcome: 'failed' | 'not-attempted';
  message: string;
  lost?: string;
} {
  if (error instanceof KubernetesApiError) {
    return { outcome: 'failed', message: error.message };
  }
  if (error instanceof KubernetesUnreachableError) {
    const lost = `Not sent: ${error.message}`;
    return error.sent
      ? {
          outcome: 'failed',
          message: `Outcome unknown, the request may or may not have been applied: ${error.message}`,
          lost,
        }
      : { outcome: 'not-attempted', message: lost, lost };
  }
  throw error;
}

function clusterMessage(error: unknown): string {
  if (
    error instanceof KubernetesUnreachableError ||
    error instanceof KubernetesApiError
  ) {
    return error.message;
  }
  throw error;
}

function countOutcomes(objects: DeployObjectResult[]): DeployResultCounts {
  return {
    applied: objects.filter(o => o.outcome === 'applied').length,
    changed: objects.filter(o => o.outcome === 'applied' && o.changed).length,
    pruned: objects.filter(o => o.outcome === 'pruned').length,
    failed: objects.filter(o => o.outcome === 'failed').length,
    notAttempted: objects.filter(o => o.outcome === 'not-attempted').length,
  };
}

function rollout(workload: KubernetesObject): WorkloadRollout {
  const spec = (workload.spec ?? {}) as { replicas?: number };
  const status = (workload.status ?? {}) as {
    observedGeneration?: number;
    replicas?: number;
    updatedReplicas?: number;
    readyReplicas?: number;
    availableReplicas?: number;
    conditions?: WorkloadRollout['conditions'];
  };
  const desired = spec.replicas ?? 1;
  const updated = status.updatedReplicas ?? 0;
  const ready = status.readyReplicas ?? 0;
  const available = status.availableReplicas ?? ready;
  return {
    kind: workload.kind as WorkloadRollout['kind'],
    namespace: workload.metadata.namespace ?? '',
    name: workload.metadata.name,
    desiredReplicas: desired,
    replicas: status.replicas ?? 0,
    updatedReplicas: updated,
    readyReplicas: ready,
    availableReplicas: available,
    // As `kubectl rollout status` decides: the controller saw the newest spec, every desired
    // replica runs it and is available, and no old replica is left.
    rolledOut:
      (status.observedGeneration ?? 0) >= (workload.metadata.generation ?? 1) &&
      updated >= desired &&
      available >= desired &&
      (status.replicas ?? updated) <= updated,
    conditions: (status.conditions ?? []).map(c => ({
      type: c.type,
      status: c.status,
      ...(c.reason ? { reason: c.reason } : {}),
      ...(c.message ? { message: c.message } : {}),
      ...(c.lastTransitionTime
        ? { lastTransitionTime: c.lastTransitionTime }
        : {}),
    })),
  };
}
