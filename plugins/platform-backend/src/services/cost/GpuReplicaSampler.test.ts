import { mockServices } from '@backstage/backend-test-utils';
import { ResponseError, ServiceUnavailableError } from '@backstage/errors';
import {
  DeployRolloutStatus,
  WorkloadRollout,
} from '@cellport/plugin-platform-deploy-common';
import {
  ManualClock,
  PlatformDeployReader,
} from '@cellport/plugin-platform-node';
import { applyDatabaseMigrations } from '../../database/migrations';
import { testPlatformCatalog } from '../../__testUtils__/entities';
import { GpuReplicaSampler } from './GpuReplicaSampler';
import { GpuReplicaSampleStore } from './GpuReplicaSampleStore';
import { createTestDatabases } from '@cellport/plugin-platform-node-test-utils';

const INFERENCE = 'inferencedeployment:default/llama-3-1-70b-eu';
const MINUTE = 60_000;

function workload(
  kind: WorkloadRollout['kind'],
  name: string,
  replicas: number,
): WorkloadRollout {
  return {
    kind,
    namespace: 'tenant-northwind-retail',
    name,
    desiredReplicas: replicas,
    replicas,
    updatedReplicas: replicas,
    readyReplicas: replicas,
    availableReplicas: replicas,
    rolledOut: true,
    conditions: [],
  };
}

/**
 * The deploy driver's `GET /status` answers, as the platform backend reads them over HTTP
 * (plugins/platform-deploy-backend tests the driver's own reading of the cluster).
 */
class RolloutAnswers implements PlatformDeployReader {
  workloads: WorkloadRollout[] = [];
  configured = true;
  down = false;
  absent = false;

  async status(entityRef: string): Promise<DeployRolloutStatus> {
    if (this.absent) {
      // What the HTTP reader throws where no deploy driver is installed.
      throw await ResponseError.fromResponse(
        new Response(
          JSON.stringify({
            error: { name: 'NotFoundError', message: 'Not Found' },
          }),
          { status: 404, headers: { 'Content-Type': 'application/json' } },
        ),
      );
    }
    if (this.down) {
      throw new ServiceUnavailableError(
        'Cluster "eks-eu-west-1-shared" (http://127.0.0.1:1) is unreachable: ECONNREFUSED',
      );
    }
    return {
      entityRef,
      cluster: { name: 'eks-eu-west-1-shared', configured: this.configured },
      workloads: this.configured ? this.workloads : [],
    };
  }

  async firstApplied(): Promise<Map<string, number>> {
    return new Map();
  }
}

describe('GpuReplicaSampler', () => {
  const databases = createTestDatabases();

  it.each(databases.eachSupportedId())(
    'records the GPUs the vLLM pods hold, from the cluster, and nothing it could not read, on %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      await applyDatabaseMigrations(knex);
      const clock = new ManualClock(Date.UTC(2026, 10, 23, 12));
      const samples = new GpuReplicaSampleStore(knex, 10 * MINUTE);
      const answers = new RolloutAnswers();
      const sampler = new GpuReplicaSampler({
        catalog: testPlatformCatalog(clock),
        deploy: answers,
        samples,
        clock,
        logger: mockServices.logger.mock(),
      });

      // Not deployed yet: the cluster answers, with no pods.
      expect(await sampler.sample()).toEqual({ recorded: 1, unreadable: [] });

      // The autoscaler went to 3 pods; one is still starting and already holds its GPUs.
      // StatefulSets (none of vLLM's) do not count.
      answers.workloads = [
        { ...workload('Deployment', 'llama-3-1-70b-eu', 3), readyReplicas: 2 },
        workload('StatefulSet', 'cache', 2),
      ];
      clock.advance(5 * MINUTE);
      expect(await sampler.sample()).toEqual({ recorded: 1, unreadable: [] });

      const rows = await knex('platform_gpu_replica_samples')
        .orderBy('at')
        .select('deployment', 'cell', 'gpu_type', 'replicas', 'gpus');
      expect(rows).toEqual([
        {
          deployment: 'llama-3-1-70b-eu',
          cell: 'eu-west-shared-1',
          gpu_type: 'H100-80GB',
          replicas: 0,
          gpus: 0,
        },
        {
          deployment: 'llama-3-1-70b-eu',
          cell: 'eu-west-shared-1',
          gpu_type: 'H100-80GB',
          replicas: 3,
          gpus: 12,
        },
      ]);

      // A cluster that does not answer leaves a gap rather than a guess.
      answers.down = true;
      clock.advance(5 * MINUTE);
      expect(await sampler.sample()).toEqual({
        recorded: 0,
        unreadable: [INFERENCE],
      });
      // Neither does a cluster the driver has no configuration for, nor a backend without
      // a deploy driver: nothing is deployed, and nothing to warn of.
      answers.down = false;
      answers.configured = false;
      expect(await sampler.sample()).toEqual({ recorded: 0, unreadable: [] });
      answers.absent = true;
      expect(await sampler.sample()).toEqual({ recorded: 0, unreadable: [] });
      expect(
        await knex('platform_gpu_replica_samples').select('id'),
      ).toHaveLength(2);
    },
  );
});
