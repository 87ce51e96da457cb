import { LoggerService } from '@backstage/backend-plugin-api';
import { stringifyEntityRef } from '@backstage/catalog-model';
import { ResponseError } from '@backstage/errors';
import {
  Clock,
  GpuReplicaSample,
  PlatformCatalog,
  PlatformDeployReader,
} from '@cellport/plugin-platform-node';
import { GpuReplicaSampleStore } from './GpuReplicaSampleStore';
import { entityRefName } from '@cellport/plugin-platform-common';

/**
 * Reads how many vLLM pods each InferenceDeployment runs on its cluster (the deploy driver's
 * rollout status, over HTTP) and records the GPUs they hold. Deployments whose cluster is not configured
 * are skipped, and so is a cluster that does not answer: GPU cost then falls back to the
 * catalog's minimum replicas for that time, and says so.
 */
export class GpuReplicaSampler {
  constructor(
    private readonly options: {
      catalog: PlatformCatalog;
      deploy: PlatformDeployReader;
      samples: GpuReplicaSampleStore;
      clock: Clock;
      logger: LoggerService;
    },
  ) {}

  /** One pass over every InferenceDeployment; what it recorded and what it could not read. */
  async sample(): Promise<{ recorded: number; unreadable: string[] }> {
    const { catalog, deploy, samples, clock, logger } = this.options;
    const { inferenceDeployments } = await catalog.entities();
    const readings: GpuReplicaSample[] = [];
    const unreadable: string[] = [];
    for (const entity of inferenceDeployments) {
      const entityRef = stringifyEntityRef({
        kind: entity.kind,
        namespace: entity.metadata.namespace,
        name: entity.metadata.name,
      });
      try {
        const status = await deploy.status(entityRef);
        if (!status.cluster.configured) continue;
        const replicas = status.workloads
          .filter(w => w.kind === 'Deployment')
          .reduce((sum, w) => sum + w.replicas, 0);
        readings.push({
          deployment: entity.metadata.name,
          cell: entityRefName(entity.spec.cell),
          gpuType: entity.spec.gpu.type,
          replicas,
          gpus: replicas * entity.spec.gpu.count,
          at: clock.now(),
        });
      } catch (error) {
        // No deploy driver in this backend (or none that knows the entity): nothing deployed.
        if (error instanceof ResponseError && error.statusCode === 404)
          continue;
        unreadable.push(entityRef);
        logger.warn(
          `GPU sampling skipped ${entityRef}: ${(error as Error).message}`,
        );
      }
    }
    await samples.record(readings);
    return { recorded: readings.length, unreadable };
  }
}
