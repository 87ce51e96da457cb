import { LoggerService } from '@backstage/backend-plugin-api';
import { CompoundEntityRef, parseEntityRef } from '@backstage/catalog-model';
import { NotificationService } from '@backstage/plugin-notifications-node';
import {
  DeployApplyResponse,
  DeployRolloutStatus,
} from '@cellport/plugin-platform-deploy-common';

/** Where the Deploy card is: a cell's dashboard, an inference deployment's overview. */
function deployCardPath(entity: CompoundEntityRef): string {
  const kind = entity.kind.toLocaleLowerCase('en-US');
  const page = `/catalog/${entity.namespace}/${kind}/${entity.name}`;
  return kind === 'cell' ? `${page}/dashboard` : page;
}

/**
 * Tells the person who applied an entity's manifests how it ended: applied, refused (by the
 * error-budget gate, or for want of a cluster) or failed, with the page to follow it on. A
 * service applying has no inbox and is told nothing.
 */
export class DeployNotifier {
  constructor(
    private readonly notifications: NotificationService,
    private readonly logger: LoggerService,
  ) {}

  async applied(actor: string, result: DeployApplyResponse): Promise<void> {
    if (!actor.startsWith('user:')) return;
    const entity = parseEntityRef(result.entityRef);
    const { applied, failed } = result.counts;
    const titles: Record<DeployApplyResponse['result'], string> = {
      applied: `Applied ${entity.name} to ${result.cluster}`,
      refused: `Not applied: ${entity.name} on ${result.cluster}`,
      failed: `Apply failed: ${entity.name} on ${result.cluster}`,
    };
    try {
      await this.notifications.send({
        recipients: { type: 'entity', entityRef: actor },
        payload: {
          title: titles[result.result],
          description:
            result.message ??
            `${applied} objects applied, ${failed} failed (audit #${result.auditId}).`,
          link: deployCardPath(entity),
          severity: result.result === 'applied' ? 'low' : 'high',
          topic: `Deploys of ${entity.name}`,
          scope: `cellport-deploy:${result.auditId}`,
        },
      });
    } catch (error) {
      this.logger.warn(
        `Could not notify ${actor} of deploy #${result.auditId}: ${error}`,
      );
    }
  }

  /** A rollout still not done when the follower gave up on it. */
  async rolloutUnfinished(
    actor: string,
    status: DeployRolloutStatus,
  ): Promise<void> {
    if (!actor.startsWith('user:')) return;
    const entity = parseEntityRef(status.entityRef);
    const stuck = status.workloads
      .filter(w => !w.rolledOut)
      .map(
        w =>
          `${w.kind}/${w.namespace}/${w.name}: ${w.availableReplicas} of ${w.desiredReplicas} available`,
      );
    try {
      await this.notifications.send({
        recipients: { type: 'entity', entityRef: actor },
        payload: {
          title: `Rollout not finished: ${entity.name} on ${status.cluster.name}`,
          description: stuck.join('; '),
          link: deployCardPath(entity),
          severity: 'high',
          topic: `Deploys of ${entity.name}`,
        },
      });
    } catch (error) {
      this.logger.warn(
        `Could not notify ${actor} of the rollout of ${status.entityRef}: ${error}`,
      );
    }
  }
}
