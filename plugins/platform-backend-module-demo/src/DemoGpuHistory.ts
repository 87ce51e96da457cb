import { entityRefName } from '@cellport/plugin-platform-common';
import {
  GpuReplicaSample,
  PlatformHistoryConnection,
} from '@cellport/plugin-platform-node';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** Every 5 minutes, as the live sampler's default interval takes them. */
const SAMPLE_EVERY_MS = 5 * 60_000;
const BATCH_SIZE = 1000;

/**
 * Records the pods the demo's InferenceDeployments "ran" over the backfilled days, as the GPU
 * sampler would have seen them: the catalog's minimum replicas at night, scaling towards the
 * maximum at the daily peak of the demo traffic. Without it, the demo's GPU cost would rest
 * on nothing, because demo capacity was never applied to a cluster.
 */
export class DemoGpuHistory {
  constructor(
    private readonly platform: PlatformHistoryConnection,
    private readonly now: () => number,
  ) {}

  /** Records `days` of samples ending at the current hour; the number recorded. */
  async record(days: number): Promise<number> {
    const { inferenceDeployments } = await this.platform.entities();
    const to = Math.floor(this.now() / HOUR_MS) * HOUR_MS;
    // Close enough together that each sample still stands when the next is taken.
    const step = Math.min(SAMPLE_EVERY_MS, this.platform.gpuSampleMaxAgeMs / 2);
    let batch: GpuReplicaSample[] = [];
    let recorded = 0;
    for (const deployment of inferenceDeployments) {
      const { min, max } = deployment.spec.replicas;
      for (let at = to - days * DAY_MS; at < to; at += step) {
        const hourOfDay = new Date(at).getUTCHours();
        // The same daily curve as the demo traffic's request rate.
        const load = Math.max(
          0,
          Math.sin(((hourOfDay - 6) / 24) * 2 * Math.PI),
        );
        const replicas = Math.round(min + (max - min) * load);
        batch.push({
          deployment: deployment.metadata.name,
          cell: entityRefName(deployment.spec.cell),
          gpuType: deployment.spec.gpu.type,
          replicas,
          gpus: replicas * deployment.spec.gpu.count,
          at,
        });
        if (batch.length >= BATCH_SIZE) {
          await this.platform.recordGpuSamples(batch);
          recorded += batch.length;
          batch = [];
        }
      }
    }
    await this.platform.recordGpuSamples(batch);
    return recorded + batch.length;
  }
}
