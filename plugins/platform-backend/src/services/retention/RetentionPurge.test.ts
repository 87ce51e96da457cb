import { applyDatabaseMigrations } from '../../database/migrations';
import { IngestService } from '../ingest/IngestService';
import { GpuReplicaSampleStore } from '../cost/GpuReplicaSampleStore';
import { DAY_MS, HOUR_MS } from '../rollups/timeRanges';
import { RetentionPurge } from './RetentionPurge';
import { parseEventBatch } from '../ingest/parseEventBatch';
import {
  createTestDatabases,
  makeRequest,
} from '@cellport/plugin-platform-node-test-utils';
import { ManualClock } from '@cellport/plugin-platform-node';

jest.setTimeout(60_000);

describe('RetentionPurge', () => {
  const databases = createTestDatabases();
  const now = Date.UTC(2026, 10, 23, 12);

  it.each(databases.eachSupportedId())(
    'deletes raw events and fine rollups past retention and keeps the rest, on %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      await applyDatabaseMigrations(knex);
      const at = (daysAgo: number) => ({
        timestamp: new Date(now - daysAgo * DAY_MS).toISOString(),
      });
      await new IngestService(knex).ingest([
        ...makeRequest(at(45)),
        ...makeRequest(at(10)),
        ...makeRequest(at(1)),
      ]);
      // GPU samples live as long as hour rollups: 40 days here.
      await new GpuReplicaSampleStore(knex, HOUR_MS).record(
        [45, 10].map(daysAgo => ({
          deployment: 'llama-3-1-70b-meridian',
          cell: 'meridian-dedicated',
          gpuType: 'H100-80GB' as const,
          replicas: 2,
          gpus: 8,
          at: now - daysAgo * DAY_MS,
        })),
      );
      const purge = new RetentionPurge(knex, new ManualClock(now), {
        rawDays: 30,
        minuteRollupDays: 7,
        hourRollupDays: 40,
      });
      expect(await purge.purge()).toEqual({
        decisions: 1,
        usageEvents: 1,
        minuteRollups: 2,
        hourRollups: 1,
        gpuReplicaSamples: 1,
      });
      expect(await purge.purge()).toEqual({
        decisions: 0,
        usageEvents: 0,
        minuteRollups: 0,
        hourRollups: 0,
        gpuReplicaSamples: 0,
      });
      const [{ n }] = await knex('platform_rollups_day').count('* as n');
      expect(Number(n)).toBe(3);
    },
  );

  it.each(databases.eachSupportedId())(
    'counts a batch replayed after its raw events were purged once, not twice, on %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      await applyDatabaseMigrations(knex);
      const clock = new ManualClock(now);
      const ingest = new IngestService(knex, { clock, rawDays: 30 });
      const batch = {
        events: makeRequest({
          timestamp: new Date(now - 20 * DAY_MS).toISOString(),
        }),
      };
      const first = parseEventBatch(batch, ingest.notBeforeMs());
      expect(await ingest.ingest(first.events)).toEqual({
        stored: 2,
        duplicates: 0,
      });
      // Fifteen days on, the raw events are purged and the batch comes again (an old NATS
      // redelivery, a gateway's spool sent late): refused, as its ids no longer stop it.
      clock.set(now + 15 * DAY_MS);
      await new RetentionPurge(knex, clock, {
        rawDays: 30,
        minuteRollupDays: 7,
        hourRollupDays: 400,
      }).purge();
      let refusal = '';
      try {
        await ingest.ingest(
          parseEventBatch(batch, ingest.notBeforeMs()).events,
        );
      } catch (error) {
        refusal = (error as Error).message;
      }
      expect(refusal).toMatch(
        /events\[0\]\.timestamp: is before .*, the oldest raw events the portal keeps/,
      );
      const [{ requests }] = await knex('platform_rollups_day').sum(
        'requests as requests',
      );
      expect(Number(requests)).toBe(1);
    },
  );
  it.each(databases.eachSupportedId())(
    'keeps raw events past the ingest cutoff, so a retry at the edge is a duplicate, on %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      await applyDatabaseMigrations(knex);
      const ingest = new IngestService(knex, {
        clock: new ManualClock(now),
        rawDays: 30,
      });
      const batch = {
        events: makeRequest({
          timestamp: new Date(now - 30 * DAY_MS + 500).toISOString(),
        }),
      };
      expect(
        await ingest.ingest(
          parseEventBatch(batch, ingest.notBeforeMs()).events,
        ),
      ).toEqual({ stored: 2, duplicates: 0 });
      // Another replica, its clock 2 s ahead, purges; the gateway's retry comes at once.
      await new RetentionPurge(knex, new ManualClock(now + 2_000), {
        rawDays: 30,
        minuteRollupDays: 7,
        hourRollupDays: 400,
      }).purge();
      expect(
        await ingest.ingest(
          parseEventBatch(batch, ingest.notBeforeMs()).events,
        ),
      ).toEqual({ stored: 0, duplicates: 2 });
      const [{ requests }] = await knex('platform_rollups_day').sum(
        'requests as requests',
      );
      expect(Number(requests)).toBe(1);
    },
  );
});
