import { applyDatabaseMigrations } from '../../database/migrations';
import { IngestService } from '../ingest/IngestService';
import { percentile } from './histogram';
import { RollupStore, SummaryPoint } from './RollupStore';
import { DAY_MS, HOUR_MS, MINUTE_MS } from './timeRanges';
import {
  createTestDatabases,
  makeRequest,
} from '@cellport/plugin-platform-node-test-utils';
import { ManualClock } from '@cellport/plugin-platform-node';

jest.setTimeout(60_000);

describe('RollupStore', () => {
  const databases = createTestDatabases();
  const start = Date.UTC(2026, 10, 10, 22, 50);

  it.each(databases.eachSupportedId())(
    'sums any range exactly from minute, hour and day rollups, on %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      await applyDatabaseMigrations(knex);
      const ingest = new IngestService(knex);
      // One request every 37 minutes for three days, alternating two tenants; every fifth fails.
      const events = [];
      const times: number[] = [];
      for (let i = 0; i < (3 * DAY_MS) / (37 * MINUTE_MS); i++) {
        const t = start + i * 37 * MINUTE_MS;
        times.push(t);
        const failed = i % 5 === 0;
        events.push(
          ...makeRequest({
            timestamp: new Date(t).toISOString(),
            tenant: i % 2 ? 'northwind-retail' : 'brightpath-edu',
            outcome: failed ? 'error' : 'success',
            errorClass: failed ? 'upstream-error' : undefined,
            status: failed ? 502 : 200,
            gatewayOverheadMs: i % 10 === 0 ? 400 : 20,
            costUsd: 0.01,
          }),
        );
      }
      await ingest.ingest(events);
      const store = new RollupStore(knex, {
        clock: new ManualClock(start + 3 * DAY_MS),
        minuteRetentionDays: 30,
      });

      const range = {
        from: start + 13 * MINUTE_MS,
        to: start + 2 * DAY_MS + 7 * HOUR_MS,
      };
      const expected = times.filter(t => t >= range.from && t < range.to);
      const summary = await store.summarize(range, {});
      expect(summary.requests).toBe(expected.length);
      expect(summary.decisions).toBe(expected.length);
      expect(summary.costUsd).toBeCloseTo(expected.length * 0.01);
      expect(summary.byOutcome.error + summary.byOutcome.success).toBe(
        expected.length,
      );
      expect(summary.errorsByClass['upstream-error']).toBe(
        summary.byOutcome.error,
      );
      expect(percentile(summary.histograms.overhead, 0.5)).toBeLessThanOrEqual(
        20,
      );

      const byTenant = await store.breakdown(range, {}, 'tenant');
      expect(byTenant.map(g => g.key).sort()).toEqual([
        'brightpath-edu',
        'northwind-retail',
      ]);
      expect(byTenant.reduce((n, g) => n + g.summary.requests, 0)).toBe(
        expected.length,
      );

      const restricted = await store.summarize(range, {
        tenants: ['brightpath-edu'],
      });
      expect(restricted.requests).toBe(
        byTenant.find(g => g.key === 'brightpath-edu')!.summary.requests,
      );
      expect((await store.summarize(range, { tenants: [] })).requests).toBe(0);

      const daily = await store.series(
        { from: start, to: start + 3 * DAY_MS },
        'day',
        {},
      );
      expect(daily.reduce((n, p) => n + p.summary.requests, 0)).toBe(
        times.length,
      );
      expect(daily[0].bucket).toBe(Date.UTC(2026, 10, 10));
    },
  );

  it.each(databases.eachSupportedId())(
    'adds a series up to the total of its range, clipping edge buckets and leaving out what is stamped after now, on %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      await applyDatabaseMigrations(knex);
      const today = Date.UTC(2026, 11, 10);
      const now = today + 14 * HOUR_MS + 20 * MINUTE_MS;
      const past = [
        today - 30 * MINUTE_MS,
        today + 10 * MINUTE_MS,
        today + 9 * HOUR_MS + 45 * MINUTE_MS,
        today + 14 * HOUR_MS + 5 * MINUTE_MS,
        now - 30_000,
      ];
      // A gateway whose clock runs ahead: later today, tomorrow.
      const ahead = [now + HOUR_MS, today + DAY_MS + HOUR_MS];
      await new IngestService(knex).ingest(
        [...past, ...ahead].flatMap(t =>
          makeRequest({ timestamp: new Date(t).toISOString(), costUsd: 1 }),
        ),
      );
      const store = new RollupStore(knex, {
        clock: new ManualClock(now),
        minuteRetentionDays: 30,
      });
      const requestsOf = (points: SummaryPoint[]) =>
        points.reduce((n, p) => n + p.summary.requests, 0);

      // Mid-day to mid-day: the day bucket holds only the range's part of the day.
      const midDay = {
        from: today + 9 * HOUR_MS + 30 * MINUTE_MS,
        to: now - 10 * MINUTE_MS,
      };
      expect((await store.summarize(midDay, {})).requests).toBe(2);
      const days = await store.series(midDay, 'day', {});
      expect(days.map(p => [p.bucket, p.summary.requests])).toEqual([
        [today, 2],
      ]);
      const hours = await store.series(midDay, 'hour', {}, 'tenant');
      expect(hours.map(p => [p.bucket, p.key, p.summary.requests])).toEqual([
        [today + 9 * HOUR_MS, 'northwind-retail', 1],
        [today + 14 * HOUR_MS, 'northwind-retail', 1],
      ]);

      // A range reaching past now counts up to now, in its total and in its series.
      const beyond = { from: today - HOUR_MS, to: today + 2 * DAY_MS };
      expect((await store.summarize(beyond, {})).requests).toBe(past.length);
      expect((await store.summarize(beyond, {})).costUsd).toBeCloseTo(
        past.length,
      );
      for (const granularity of ['day', 'hour', 'minute'] as const) {
        expect(requestsOf(await store.series(beyond, granularity, {}))).toBe(
          past.length,
        );
      }
      expect(
        (await store.series(beyond, 'day', {})).map(p => p.bucket),
      ).toEqual([today - DAY_MS, today]);
      // A range that has not begun, or is empty, reads nothing: not the minute it falls in,
      // whose request (30 s before now) is before it.
      for (const unbegun of [
        { from: now + 15_000, to: now + 2 * DAY_MS },
        { from: now - 15_000, to: now - 15_000 },
      ]) {
        expect((await store.summarize(unbegun, {})).requests).toBe(0);
        for (const granularity of ['day', 'hour', 'minute'] as const) {
          expect(await store.series(unbegun, granularity, {})).toEqual([]);
        }
      }
    },
  );

  it.each(databases.eachSupportedId())(
    'counts a request in one of two ranges side by side, mid-minute or mid-hour, and in the same one after the minute rollups are purged, on %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      await applyDatabaseMigrations(knex);
      const now = Date.UTC(2026, 11, 3, 12, 20);
      const recent = Date.UTC(2026, 11, 3, 10, 10, 45);
      const tenDaysAgo = Date.UTC(2026, 10, 23, 10, 10);
      await new IngestService(knex).ingest(
        [recent, tenDaysAgo].flatMap(t =>
          makeRequest({ timestamp: new Date(t).toISOString(), costUsd: 1 }),
        ),
      );
      const store = new RollupStore(knex, {
        clock: new ManualClock(now),
        minuteRetentionDays: 7,
      });
      const requests = async (from: string, to: string) =>
        (
          await store.summarize(
            { from: Date.parse(from), to: Date.parse(to) },
            {},
          )
        ).requests;
      const halves = async () => [
        await requests('2026-12-03T10:10:00Z', '2026-12-03T10:10:30Z'),
        await requests('2026-12-03T10:10:30Z', '2026-12-03T10:11:00Z'),
        await requests('2026-11-23T09:30Z', '2026-11-23T10:30Z'),
        await requests('2026-11-23T10:30Z', '2026-11-23T11:30Z'),
      ];
      // Before, each request counted in both of its ranges: they were rounded outward.
      expect(await halves()).toEqual([1, 0, 1, 0]);
      expect(
        await requests('2026-12-03T10:10:50Z', '2026-12-03T10:10:55Z'),
      ).toBe(0);
      // The purge removes the old minute rollups; the old ranges are read from hours.
      await knex('platform_rollups_minute')
        .where('bucket', '<', (now - 7 * DAY_MS) / MINUTE_MS)
        .delete();
      expect(await halves()).toEqual([1, 0, 1, 0]);
      const series = await store.series(
        { from: Date.parse('2026-11-23T09:30Z'), to: now },
        'day',
        {},
      );
      expect(series.reduce((n, p) => n + p.summary.requests, 0)).toBe(2);
    },
  );

  it.each(databases.eachSupportedId())(
    'reads a range older than hour retention from days, before and after the hour purge, on %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      await applyDatabaseMigrations(knex);
      const now = Date.UTC(2026, 11, 3, 12, 20);
      const old = now - 400 * DAY_MS - 2 * HOUR_MS;
      await new IngestService(knex).ingest(
        makeRequest({ timestamp: new Date(old).toISOString(), costUsd: 1 }),
      );
      const store = new RollupStore(knex, {
        clock: new ManualClock(now),
        minuteRetentionDays: 7,
        hourRetentionDays: 400,
      });
      // Two ranges side by side, cut mid-day before the request, beyond hour retention.
      const cut = now - 400 * DAY_MS - 6 * HOUR_MS;
      const halves = async () => [
        (await store.summarize({ from: cut - 2 * DAY_MS, to: cut }, {}))
          .requests,
        (await store.summarize({ from: cut, to: now - DAY_MS }, {})).requests,
      ];
      // The request's day counts in the range that holds the day's start.
      expect(await halves()).toEqual([1, 0]);
      await knex('platform_rollups_hour')
        .where('bucket', '<', (now - 400 * DAY_MS) / MINUTE_MS)
        .delete();
      // Before, the second range read the rest of that day from the hours the purge had
      // emptied: the request was in neither range.
      expect(await halves()).toEqual([1, 0]);
    },
  );
});
