import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { applyDatabaseMigrations } from '../../database/migrations';
import { testPlatformCatalog } from '../../__testUtils__/entities';
import { CostEngine } from '../cost/CostEngine';
import { legacyFirstApplied } from '../cost/firstApplies';
import { GpuSpendLedger } from '../cost/GpuSpendLedger';
import { DEFAULT_GPU_HOURLY_USD } from '../cost/gpuPrices';
import { IngestService } from '../ingest/IngestService';
import { ApiKeyStore } from '../keys/ApiKeyStore';
import { ReconcilerService } from '../reconciler/ReconcilerService';
import { RollupStore } from '../rollups/RollupStore';
import { DAY_MS, HOUR_MS, MINUTE_MS } from '../rollups/timeRanges';
import { SloEngine } from '../slo/SloEngine';
import { SloService } from '../slo/SloService';
import { CellStatusService } from './CellStatusService';
import {
  createTestDatabases,
  makeRequest,
} from '@cellport/plugin-platform-node-test-utils';
import { ManualClock } from '@cellport/plugin-platform-node';

jest.setTimeout(60_000);

describe('CellStatusService', () => {
  const databases = createTestDatabases();
  const today = Date.UTC(2026, 11, 10);
  const now = today + 14 * HOUR_MS + 20 * MINUTE_MS;

  it.each(databases.eachSupportedId())(
    "agrees with the tenant's budget and the cost breakdown on the month to date, whatever is stamped after now, on %p",
    async databaseId => {
      const knex = await databases.init(databaseId);
      await applyDatabaseMigrations(knex);
      const spend = (timestamp: string | number, costUsd: number) =>
        makeRequest({ timestamp: new Date(timestamp).toISOString(), costUsd });
      await new IngestService(knex).ingest([
        ...spend('2026-11-30T23:59:59.999Z', 1),
        ...spend('2026-12-01T00:00:00.000Z', 10),
        ...spend('2026-12-05T12:00:00.000Z', 20),
        ...spend(today + 10 * MINUTE_MS, 2),
        ...spend(now - 5 * MINUTE_MS, 4),
        // A gateway whose clock runs ahead: later today, tomorrow, next month.
        ...spend(now + HOUR_MS, 1000),
        ...spend(today + DAY_MS + HOUR_MS, 10000),
        ...spend('2027-01-01T00:10:00.000Z', 100000),
      ]);
      const clock = new ManualClock(now);
      const catalog = testPlatformCatalog(clock);
      const rollups = new RollupStore(knex, { clock, minuteRetentionDays: 30 });
      const gpu = new GpuSpendLedger({
        catalog,
        rollups,
        firstApplied: refs => legacyFirstApplied(knex, refs),
        gpuHourlyUsd: DEFAULT_GPU_HOURLY_USD,
      });
      const cost = new CostEngine(rollups, catalog, clock, gpu);
      const cells = new CellStatusService({
        catalog,
        slo: new SloService(catalog, new SloEngine(rollups, clock)),
        rollups,
        gpu,
        reconciler: ReconcilerService.fromConfig(new ConfigReader({}), {
          db: knex,
          catalog,
          apiKeys: new ApiKeyStore(knex, clock),
          clock,
          logger: mockServices.logger.mock(),
        }),
        clock,
      });
      const monthToDate = 10 + 20 + 2 + 4;
      const seriesSum = (series: Array<{ costUsd: number }>) =>
        series.reduce((total, p) => total + p.costUsd, 0);

      const budget = await cost.tenantBudget('northwind-retail');
      expect(budget.monthToDateUsd).toBeCloseTo(monthToDate);
      expect(budget.daily.at(-1)).toMatchObject({ date: '2026-12-10' });
      expect(budget.daily.at(-1)!.costUsd).toBeCloseTo(2 + 4);
      expect(budget.agents[0].monthToDateUsd).toBeCloseTo(monthToDate);

      const month = await cost.breakdown(
        { from: Date.UTC(2026, 11, 1), to: now },
        'tenant',
        'day',
        {},
      );
      expect(month.totalUsd).toBeCloseTo(monthToDate);
      expect(seriesSum(month.series)).toBeCloseTo(monthToDate);

      const summary = await cells.summaries({
        slo: false,
        cost: undefined,
        runtime: false,
      });
      const cell = summary.cells.find(c => c.cell === 'eu-west-shared-1')!;
      expect(cell.monthToDateUsd).toBeCloseTo(monthToDate);

      // A range ending mid-day: its day bucket holds the range's part of the day only.
      for (const to of [now - 10 * MINUTE_MS, now + 2 * DAY_MS]) {
        const day = await cost.breakdown(
          { from: today, to },
          'cell',
          'day',
          {},
        );
        const expected = to < now ? 2 : 2 + 4;
        expect(day.totalUsd).toBeCloseTo(expected);
        expect(seriesSum(day.series)).toBeCloseTo(expected);
        const hours = await cost.breakdown(
          { from: today, to },
          'cell',
          'hour',
          {},
        );
        expect(seriesSum(hours.series)).toBeCloseTo(expected);
      }
    },
  );
});
