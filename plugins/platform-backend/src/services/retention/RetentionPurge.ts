import { Config } from '@backstage/config';
import { Knex } from 'knex';
import { readPlatformSettings } from '../../config/platformSettings';
import { DAY_MS, MINUTE_MS } from '../rollups/timeRanges';
import { Clock } from '@cellport/plugin-platform-node';

/**
 * How long raw events outlive the ingest cutoff (`rawDays`): an event accepted at the edge must
 * still find its id when it comes again (a retry, a replica whose clock runs ahead purging
 * between another's check and its insert), or its rollups would count it twice.
 */
const RAW_KEPT_PAST_CUTOFF_MS = DAY_MS;

/** How long each kind of record is kept, in days. Day rollups are kept for good. */
export interface RetentionPolicy {
  rawDays: number;
  minuteRollupDays: number;
  hourRollupDays: number;
}

export interface PurgeResult {
  decisions: number;
  usageEvents: number;
  minuteRollups: number;
  hourRollups: number;
  gpuReplicaSamples: number;
}

/**
 * Deletes raw events and fine rollups past their retention. Coarser rollups outlive finer
 * ones, so long ranges stay answerable after raw events are gone. GPU replica samples are
 * cost data at hour grain and live as long as hour rollups.
 */
export class RetentionPurge {
  /** `platform.retention`: how many days each kind of record is kept. */
  static fromConfig(config: Config, db: Knex, clock: Clock): RetentionPurge {
    return new RetentionPurge(
      db,
      clock,
      readPlatformSettings(config).retention,
    );
  }

  constructor(
    private readonly db: Knex,
    private readonly clock: Clock,
    private readonly policy: RetentionPolicy,
  ) {}

  async purge(): Promise<PurgeResult> {
    const now = this.clock.now();
    const rawCutoff =
      now - this.policy.rawDays * DAY_MS - RAW_KEPT_PAST_CUTOFF_MS;
    const minuteCutoff = Math.floor(
      (now - this.policy.minuteRollupDays * DAY_MS) / MINUTE_MS,
    );
    const hourCutoff = Math.floor(
      (now - this.policy.hourRollupDays * DAY_MS) / MINUTE_MS,
    );
    return {
      decisions: await this.db('platform_routing_decisions')
        .where('ts', '<', rawCutoff)
        .delete(),
      usageEvents: await this.db('platform_usage_events')
        .where('ts', '<', rawCutoff)
        .delete(),
      minuteRollups: await this.db('platform_rollups_minute')
        .where('bucket', '<', minuteCutoff)
        .delete(),
      hourRollups: await this.db('platform_rollups_hour')
        .where('bucket', '<', hourCutoff)
        .delete(),
      gpuReplicaSamples: await this.db('platform_gpu_replica_samples')
        .where('at', '<', now - this.policy.hourRollupDays * DAY_MS)
        .delete(),
    };
  }
}
