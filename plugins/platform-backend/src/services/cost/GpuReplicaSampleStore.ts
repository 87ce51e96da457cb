import { GpuType } from '@cellport/plugin-platform-common';
import { Knex } from 'knex';
import { TimeRange } from '../rollups/timeRanges';
import { integrateGpuSamples, ObservedGpuTime } from './integrateGpuSamples';

const TABLE = 'platform_gpu_replica_samples';

/** One reading of an InferenceDeployment's pods on its cluster. */
export interface GpuReplicaSample {
  deployment: string;
  cell: string;
  gpuType: GpuType;
  replicas: number;
  gpus: number;
  at: number;
}

/**
 * The GPUs InferenceDeployments actually held, as sampled from their clusters, and the
 * GPU-hours those samples account for over a range.
 */
export class GpuReplicaSampleStore {
  constructor(
    private readonly db: Knex,
    /** How long one sample stands for; beyond it, time counts as unobserved. */
    private readonly maxSampleAgeMs: number,
  ) {}

  async record(samples: GpuReplicaSample[]): Promise<void> {
    if (samples.length === 0) return;
    await this.db(TABLE).insert(
      samples.map(s => ({
        deployment: s.deployment,
        cell: s.cell,
        gpu_type: s.gpuType,
        replicas: s.replicas,
        gpus: s.gpus,
        at: s.at,
      })),
    );
  }

  async observed(
    deployment: string,
    range: TimeRange,
  ): Promise<ObservedGpuTime> {
    const rows: Array<{ at: number | string; gpus: number }> = await this.db(
      TABLE,
    )
      .where('deployment', deployment)
      .where('at', '>=', range.from - this.maxSampleAgeMs)
      .where('at', '<', range.to)
      .orderBy('at')
      .select('at', 'gpus');
    return integrateGpuSamples(
      rows.map(r => ({ at: Number(r.at), gpus: Number(r.gpus) })),
      range,
      this.maxSampleAgeMs,
    );
  }

  /** Deletes samples taken before `cutoff` (epoch ms); the count. */
  async purgeBefore(cutoff: number): Promise<number> {
    return this.db(TABLE).where('at', '<', cutoff).delete();
  }
}
