import { mockServices } from '@backstage/backend-test-utils';
import { NotificationSendOptions } from '@backstage/plugin-notifications-node';
import { SignalPayload } from '@backstage/plugin-signals-node';
import {
  DeployRolloutStatus,
  WorkloadRollout,
} from '@cellport/plugin-platform-deploy-common';
import { DeployNotifier } from './DeployNotifier';
import { RolloutFollower } from './RolloutFollower';

const ENTITY = 'cell:default/meridian-dedicated';
const SRE = 'user:default/sre-on-call';

function status(available: number): DeployRolloutStatus {
  const workload: WorkloadRollout = {
    kind: 'Deployment',
    namespace: 'cellport-runtime',
    name: 'cellport-gateway',
    desiredReplicas: 2,
    replicas: 2,
    updatedReplicas: 2,
    readyReplicas: available,
    availableReplicas: available,
    rolledOut: available === 2,
    conditions: [],
  };
  return {
    entityRef: ENTITY,
    cluster: { name: 'eks-us-east-1-meridian', configured: true },
    workloads: [workload],
  } as DeployRolloutStatus;
}

/** A follower over a scripted cluster, with time that passes only as the follower waits. */
function setUp(reads: Array<DeployRolloutStatus | Error>) {
  let now = 0;
  const signals: SignalPayload[] = [];
  const notifications: NotificationSendOptions[] = [];
  let read = 0;
  const follower = new RolloutFollower({
    status: async () => {
      const next = reads[Math.min(read++, reads.length - 1)];
      if (next instanceof Error) throw next;
      return next;
    },
    signals: { publish: async signal => void signals.push(signal) },
    notifier: new DeployNotifier(
      { send: async options => void notifications.push(options) },
      mockServices.logger.mock(),
    ),
    logger: mockServices.logger.mock(),
    intervalMs: 2_000,
    timeoutMs: 10_000,
    now: () => now,
    wait: async ms => {
      now += ms;
    },
  });
  return { follower, signals, notifications, reads: () => read };
}

describe('RolloutFollower', () => {
  it('signals the entity channel when the rollout changes and when it is done, then stops', async () => {
    const { follower, signals, notifications, reads } = setUp([
      status(0),
      status(0),
      status(1),
      status(2),
    ]);
    await follower.follow(ENTITY, SRE);
    expect(reads()).toBe(4);
    expect(signals.map(s => s.message)).toEqual([
      { entityRef: ENTITY, done: false },
      { entityRef: ENTITY, done: false },
      { entityRef: ENTITY, done: true },
    ]);
    expect(signals[0]).toMatchObject({
      channel: 'platform:deploy-rollout:cell:default/meridian-dedicated',
      recipients: { type: 'broadcast' },
    });
    expect(notifications).toEqual([]);
  });

  it('tells whoever applied when a rollout does not finish in time, naming what is stuck', async () => {
    const { follower, signals, notifications } = setUp([status(1)]);
    await follower.follow(ENTITY, SRE);
    expect(notifications).toHaveLength(1);
    expect(notifications[0]).toMatchObject({
      recipients: { type: 'entity', entityRef: SRE },
      payload: {
        title:
          'Rollout not finished: meridian-dedicated on eks-us-east-1-meridian',
        description:
          'Deployment/cellport-runtime/cellport-gateway: 1 of 2 available',
        link: '/catalog/default/cell/meridian-dedicated/dashboard',
        severity: 'high',
      },
    });
    expect(signals.at(-1)!.message).toEqual({ entityRef: ENTITY, done: true });
  });

  it('follows an entity once: a new apply replaces the follower before it', async () => {
    const { follower, notifications } = setUp([status(1)]);
    const first = follower.follow(ENTITY, SRE);
    const second = follower.follow(ENTITY, 'user:default/lena.fischer');
    await Promise.all([first, second]);
    expect(notifications.map(n => n.recipients)).toEqual([
      { type: 'entity', entityRef: 'user:default/lena.fischer' },
    ]);
  });

  it('keeps following through a read the cluster did not answer', async () => {
    const { follower, signals, notifications } = setUp([
      status(0),
      new Error('connect ECONNREFUSED 10.0.0.1:443'),
      status(2),
    ]);
    await follower.follow(ENTITY, SRE);
    expect(signals.map(s => s.message)).toEqual([
      { entityRef: ENTITY, done: false },
      { entityRef: ENTITY, done: true },
    ]);
    expect(notifications).toEqual([]);
  });
});
