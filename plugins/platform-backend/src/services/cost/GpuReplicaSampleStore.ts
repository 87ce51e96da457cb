import { GpuReplicaSample } from '@cellport/plugin-platform-node';
import { Config } from '@backstage/config';
import { Knex } from 'knex';
import { readPlatformSettings } from '../../config/platformSettings';
import { TimeRange } from '../rollups/timeRanges';
import {
  GpuSample,
  integrateGpuSamples,
  ObservedGpuTime,
} from './integrateGpuSamples';

const TABLE = 'platform_gpu_replica_samples';
const INSERT_CHUNK = 200;

/**
 * The GPUs InferenceDeployments actually held, as sampled from their clusters, and the
 * GPU-hours those samples account for over a range.
 */
export class GpuReplicaSampleStore {
  /** `platform.cost.gpuSampling.intervalMinutes`: a sample stands for two intervals. */
  static fromConfig(config: Config, db: Knex): GpuReplicaSampleStore {
    const { intervalMinutes } = readPlatformSettings(config).cost.gpuSampling;
    // Two intervals, so one missed pass leaves no gap.
    return new GpuReplicaSampleStore(db, 2 * intervalMinutes * 60_000);
  }

  constructor(
    private readonly db: Knex,
    /** How long one sample stands for; beyond it, time counts as unobserved. */
    readonly maxSampleAgeMs: number,
  ) {}

  async record(samples: GpuReplicaSample[]): Promise<void> {
    if (samples.length === 0) return;
    // In chunks: SQLite caps the rows of one multi-row insert.
    await this.db.batchInsert(
      TABLE,
      samples.map(s => ({
        deployment: s.deployment,
        cell: s.cell,
        gpu_type: s.gpuType,
        replicas: s.replicas,
        gpus: s.gpus,
        at: s.at,
      })),
      INSERT_CHUNK,
    );
  }

  /** The samples that bear on a range, oldest first (one may predate it). */
  async samples(deployment: string, range: TimeRange): Promise<GpuSample[]> {
    const rows: Array<{ at: number | string; gpus: number }> = await this.db(
      TABLE,
    )
      .where('deployment', deployment)
      .where('at', '>=', range.from - this.maxSampleAgeMs)
      .where('at', '<', range.to)
      .orderBy('at')
      .select('at', 'gpus');
    return rows.map(r => ({ at: Number(r.at), gpus: Number(r.gpus) }));
  }

  async observed(
    deployment: string,
    range: TimeRange,
  ): Promise<ObservedGpuTime> {
    return integrateGpuSamples(
      await this.samples(deployment, range),
      range,
      this.maxSampleAgeMs,
    );
  }

  /** Deletes samples taken before `cutoff` (epoch ms); the count. */
  async purgeBefore(cutoff: number): Promise<number> {
    return this.db(TABLE).where('at', '<', cutoff).delete();
  }
}
