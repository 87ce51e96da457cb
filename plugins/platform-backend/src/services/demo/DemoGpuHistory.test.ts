import { applyDatabaseMigrations } from '../../database/migrations';
import { createTestDatabases } from '../../__testUtils__/testDatabases';
import { testPlatformCatalog } from '../../__testUtils__/entities';
import { ManualClock } from '../clock';
import { GpuReplicaSampleStore } from '../cost/GpuReplicaSampleStore';
import { DAY_MS, HOUR_MS } from '../rollups/timeRanges';
import { DemoGpuHistory } from './DemoGpuHistory';

jest.setTimeout(60_000);

describe('DemoGpuHistory', () => {
  const databases = createTestDatabases();
  const now = Date.UTC(2026, 10, 11, 12, 30);

  it.each(databases.eachSupportedId())(
    'covers every backfilled hour with samples between the minimum and maximum replicas, on %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      await applyDatabaseMigrations(knex);
      const clock = new ManualClock(now);
      const store = new GpuReplicaSampleStore(knex, 10 * 60_000);
      const recorded = await new DemoGpuHistory(
        testPlatformCatalog(clock),
        store,
        clock,
      ).record(2);
      // One deployment (the Llama: 2-3 replicas of 4 GPUs), every 5 minutes for 2 days.
      expect(recorded).toBe(2 * 24 * 12);

      const to = Date.UTC(2026, 10, 11, 12);
      const day = { from: to - DAY_MS, to };
      const observed = await store.observed('llama-3-1-70b-eu', day);
      expect(observed.observedMs).toBe(DAY_MS);
      expect(observed.gpuHours).toBeGreaterThan(24 * 8);
      expect(observed.gpuHours).toBeLessThan(24 * 12);
      // Nights run the minimum, the afternoon peak the maximum.
      const night = await store.samples('llama-3-1-70b-eu', {
        from: to - 12 * HOUR_MS,
        to: to - 11 * HOUR_MS,
      });
      expect(night.every(s => s.gpus === 8)).toBe(true);
    },
  );
});
