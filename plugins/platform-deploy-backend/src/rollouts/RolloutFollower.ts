import { LoggerService } from '@backstage/backend-plugin-api';
import { SignalsService } from '@backstage/plugin-signals-node';
import {
  DeployRolloutSignal,
  DeployRolloutStatus,
  deployRolloutChannel,
} from '@cellport/plugin-platform-deploy-common';
import { DeployNotifier } from './DeployNotifier';

export interface RolloutFollowerOptions {
  status(entityRef: string): Promise<DeployRolloutStatus>;
  signals: SignalsService;
  notifier: DeployNotifier;
  logger: LoggerService;
  /** Between two reads of the cluster. */
  intervalMs: number;
  /** How long a rollout may take before whoever applied hears that it did not finish. */
  timeoutMs: number;
  now?: () => number;
  wait?: (ms: number) => Promise<void>;
}

/**
 * Follows a rollout after an apply, so that Deploy cards need not poll: it reads the
 * workloads' status every `intervalMs` and signals the entity's channel when it changes and
 * when it ends. A rollout still unfinished after `timeoutMs` is reported to whoever applied.
 * One follower per entity: a new apply replaces the one before.
 */
export class RolloutFollower {
  private readonly following = new Map<string, { stopped: boolean }>();

  constructor(private readonly options: RolloutFollowerOptions) {}

  /** Starts following in the background; the returned promise ends with the following. */
  follow(entityRef: string, actor: string): Promise<void> {
    const previous = this.following.get(entityRef);
    if (previous) previous.stopped = true;
    const run = { stopped: false };
    this.following.set(entityRef, run);
    return this.run(entityRef, actor, run)
      .catch(error =>
        this.options.logger.warn(
          `Following the rollout of ${entityRef} stopped: ${error}`,
        ),
      )
      .finally(() => {
        if (this.following.get(entityRef) === run)
          this.following.delete(entityRef);
      });
  }

  stopAll(): void {
    for (const run of this.following.values()) run.stopped = true;
    this.following.clear();
  }

  private async run(
    entityRef: string,
    actor: string,
    run: { stopped: boolean },
  ) {
    const now = this.options.now ?? Date.now;
    const wait =
      this.options.wait ??
      // Unref'd: following a rollout never keeps a stopping backend alive.
      ((ms: number) =>
        new Promise<void>(resolve => {
          setTimeout(resolve, ms).unref();
        }));
    const deadline = now() + this.options.timeoutMs;
    let seen = '';
    let last: DeployRolloutStatus | undefined;
    for (;;) {
      const status = await this.options.status(entityRef).catch(error => {
        // A cluster that does not answer once is read again; the deadline still holds.
        this.options.logger.warn(
          `Reading the rollout of ${entityRef} failed: ${error}`,
        );
        return undefined;
      });
      if (run.stopped) return;
      if (status) {
        last = status;
        const done = status.workloads.every(w => w.rolledOut);
        const state = JSON.stringify(status.workloads);
        if (state !== seen || done) {
          seen = state;
          await this.signal({ entityRef, done });
        }
        if (done) return;
      }
      if (now() >= deadline) {
        if (last) await this.options.notifier.rolloutUnfinished(actor, last);
        await this.signal({ entityRef, done: true });
        return;
      }
      await wait(this.options.intervalMs);
      if (run.stopped) return;
    }
  }

  private signal(message: DeployRolloutSignal) {
    return this.options.signals.publish<DeployRolloutSignal>({
      recipients: { type: 'broadcast' },
      channel: deployRolloutChannel(message.entityRef),
      message,
    });
  }
}
