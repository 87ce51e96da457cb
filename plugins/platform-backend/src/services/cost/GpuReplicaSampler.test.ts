import { mockServices } from '@backstage/backend-test-utils';
import { applyDatabaseMigrations } from '../../database/migrations';
import { closedPort } from '../../__testUtils__/closedPort';
import { createTestDeployService } from '../../__testUtils__/deployService';
import { createTestDatabases } from '../../__testUtils__/testDatabases';
import { FakeKubernetesApiServer } from '@cellport/plugin-platform-node-test-utils';
import { ManualClock } from '../clock';
import { GpuReplicaSampler } from './GpuReplicaSampler';
import { GpuReplicaSampleStore } from './GpuReplicaSampleStore';

jest.setTimeout(60_000);

const TOKEN = 'test-service-account-token';
const INFERENCE = 'inferencedeployment:default/llama-3-1-70b-eu';
const MINUTE = 60_000;
const SRE = 'user:default/sre-on-call';

describe('GpuReplicaSampler', () => {
  const databases = createTestDatabases();
  let cluster: FakeKubernetesApiServer;
  beforeEach(async () => {
    cluster = new FakeKubernetesApiServer({ token: TOKEN });
    await cluster.start();
  });
  afterEach(() => cluster.stop());

  it.each(databases.eachSupportedId())(
    'records the GPUs the vLLM pods hold, from the cluster, and nothing it could not read, on %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      await applyDatabaseMigrations(knex);
      const clock = new ManualClock(Date.UTC(2026, 10, 23, 12));
      const samples = new GpuReplicaSampleStore(knex, 10 * MINUTE);
      const samplerFor = (clusterUrl: string) => {
        const { service, catalog } = createTestDeployService({
          knex,
          clusterUrl,
          token: TOKEN,
        });
        return {
          service,
          sampler: new GpuReplicaSampler({
            catalog,
            deploy: service,
            samples,
            clock,
            logger: mockServices.logger.mock(),
          }),
        };
      };
      const { service, sampler } = samplerFor(cluster.url);

      // Not deployed yet: the cluster answers, with no pods.
      expect(await sampler.sample()).toEqual({ recorded: 1, unreadable: [] });

      // The cell first: it owns the namespace the model runs in.
      for (const ref of ['cell:default/eu-west-shared-1', INFERENCE]) {
        const applied = await service.apply(ref, { actor: SRE });
        expect(applied.result).toBe('applied');
      }
      const vllm = cluster
        .list('Deployment')
        .find(d => d.metadata.name !== 'cellport-gateway')!;
      // The autoscaler went to 3 pods; one is still starting and already holds its GPUs.
      cluster.setStatus(
        'apps/v1',
        'Deployment',
        vllm.metadata.namespace,
        vllm.metadata.name,
        { replicas: 3, readyReplicas: 2, updatedReplicas: 3 },
      );
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
      clock.advance(5 * MINUTE);
      expect(
        await samplerFor(
          `http://127.0.0.1:${await closedPort()}`,
        ).sampler.sample(),
      ).toEqual({ recorded: 0, unreadable: [INFERENCE] });
      expect(
        await knex('platform_gpu_replica_samples').select('id'),
      ).toHaveLength(2);
    },
  );
});
