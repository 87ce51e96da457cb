import { PlatformEvent } from '@cellport/plugin-platform-common';
import {
  GpuReplicaSample,
  PlatformCatalog,
  PlatformEntities,
  PlatformHistoryConnection,
} from '@cellport/plugin-platform-node';
import { Knex } from 'knex';
import { GpuReplicaSampleStore } from '../cost/GpuReplicaSampleStore';
import { IngestService } from '../ingest/IngestService';

/**
 * What a history source (the development backend's demo module) is given: the catalog, and
 * the plugin's own stores, with every event it stores flagged as demo history.
 */
export class HistoryConnection implements PlatformHistoryConnection {
  constructor(
    private readonly stores: {
      db: Knex;
      catalog: PlatformCatalog;
      ingest: IngestService;
      gpuSamples: GpuReplicaSampleStore;
    },
  ) {}

  get gpuSampleMaxAgeMs(): number {
    return this.stores.gpuSamples.maxSampleAgeMs;
  }

  entities(): Promise<PlatformEntities> {
    return this.stores.catalog.entities({ fresh: true });
  }

  storeDemoEvents(events: PlatformEvent[]) {
    return this.stores.ingest.ingest(events, { demo: true });
  }

  async hasDemoEvents(): Promise<boolean> {
    const row = await this.stores
      .db('platform_usage_events')
      .where('demo', true)
      .first('id');
    return row !== undefined;
  }

  recordGpuSamples(samples: GpuReplicaSample[]): Promise<void> {
    return this.stores.gpuSamples.record(samples);
  }
}
