import { applyDatabaseMigrations } from '../../database/migrations';
import { createTestDatabases } from '../../__testUtils__/testDatabases';
import { makeRequest } from '../../__testUtils__/events';
import { testPlatformCatalog } from '../../__testUtils__/entities';
import { ManualClock } from '../clock';
import { IngestService } from '../ingest/IngestService';
import { RollupStore } from '../rollups/RollupStore';
import { DAY_MS, HOUR_MS } from '../rollups/timeRanges';
import { CostEngine } from './CostEngine';
import { DEFAULT_GPU_HOURLY_USD } from './gpuPrices';
import { GpuReplicaSampleStore } from './GpuReplicaSampleStore';

jest.setTimeout(60_000);

describe('CostEngine', () => {
  const databases = createTestDatabases();
  // Noon on the 11th: ten complete days of November behind.
  const now = Date.UTC(2026, 10, 11, 12);

  it.each(databases.eachSupportedId())(
    'breaks cost down, tracks budgets, finds movers and attributes GPU cost, on %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      await applyDatabaseMigrations(knex);
      const events = [];
      // Northwind's checkout assistant: $10 a day for 20 days (10 in October).
      for (let day = -10; day < 11; day++) {
        for (let h = 0; h < 24; h += 6) {
          const t = Date.UTC(2026, 10, 1) + day * DAY_MS + h * HOUR_MS;
          if (t >= now) continue;
          events.push(
            ...makeRequest({
              timestamp: new Date(t).toISOString(),
              costUsd: 2.5,
            }),
          );
        }
      }
      // Brightpath's homework helper on the self-hosted Llama, from yesterday on.
      for (let h = 0; h < 36; h++) {
        const t = now - 36 * HOUR_MS + h * HOUR_MS;
        events.push(
          ...makeRequest({
            timestamp: new Date(t).toISOString(),
            tenant: 'brightpath-edu',
            agent: 'homework-helper',
            modelProfile: 'llama-3-1-70b-eu',
            costUsd: 0,
            inputTokens: 3000,
            outputTokens: 1000,
          }),
        );
      }
      // Northwind also used the Llama a little (1/4 of its tokens).
      events.push(
        ...makeRequest({
          timestamp: new Date(now - HOUR_MS).toISOString(),
          modelProfile: 'llama-3-1-70b-eu',
          inputTokens: 36000,
          outputTokens: 12000,
          costUsd: 0,
        }),
      );
      await new IngestService(knex).ingest(events);

      const clock = new ManualClock(now);
      const engine = new CostEngine(
        new RollupStore(knex, { clock, minuteRetentionDays: 30 }),
        testPlatformCatalog(clock),
        clock,
        DEFAULT_GPU_HOURLY_USD,
      );

      const breakdown = await engine.breakdown(
        { from: Date.UTC(2026, 10, 1), to: now },
        'tenant',
        'day',
        {},
      );
      expect(breakdown.groups[0]).toMatchObject({ key: 'northwind-retail' });
      expect(breakdown.groups[0].costUsd).toBeCloseTo(10 * 10 + 2 * 2.5);
      expect(breakdown.totalUsd).toBeCloseTo(105);
      expect(
        breakdown.series.filter(p => p.key === 'northwind-retail'),
      ).toHaveLength(11);

      const budget = await engine.tenantBudget('northwind-retail');
      expect(budget.month).toBe('2026-11');
      expect(budget.budgetUsd).toBe(3000);
      expect(budget.monthToDateUsd).toBeCloseTo(105);
      // $10 a day for the rest of a 30-day month: about $300.
      expect(budget.forecastUsd).toBeGreaterThan(290);
      expect(budget.forecastUsd).toBeLessThan(310);
      const checkout = budget.agents.find(
        a => a.agent === 'checkout-assistant',
      )!;
      expect(checkout.monthlyBudgetUsd).toBe(1500);
      expect(checkout.maxCostPerRunUsd).toBe(0.05);
      await expect(engine.tenantBudget('nobody')).rejects.toThrow(/No tenant/);

      const movers = await engine.movers('day', 'tenant', {}, 5);
      expect(movers.movers.map(m => m.key)).toContain('brightpath-edu');
      const brightpath = movers.movers.find(m => m.key === 'brightpath-edu')!;
      expect(brightpath.previousUsd).toBe(0);
      expect(brightpath.deltaFraction).toBeNull();

      const gpu = await engine.gpuCost(
        { from: now - DAY_MS, to: now + DAY_MS },
        {},
      );
      const [llama] = gpu.deployments;
      // 4 GPUs × 2 replicas × 24 h (the range stops at now) × the H100 price.
      expect(llama.gpuHours).toBeCloseTo(192);
      expect(llama.costUsd).toBeCloseTo(
        192 * DEFAULT_GPU_HOURLY_USD['H100-80GB'],
      );
      const shares = Object.fromEntries(
        llama.tenants.map(t => [t.tenant, t.tokenShare]),
      );
      // Brightpath used 24 h × 4000 tokens in the range, Northwind 48000.
      expect(shares['brightpath-edu']).toBeCloseTo(96000 / 144000);
      expect(shares['northwind-retail']).toBeCloseTo(48000 / 144000);
      expect(gpu.byCell).toEqual([
        { cell: 'eu-west-shared-1', costUsd: llama.costUsd },
      ]);
      const restricted = await engine.gpuCost(
        { from: now - DAY_MS, to: now },
        { tenants: ['brightpath-edu'] },
      );
      expect(restricted.byTenant.map(t => t.tenant)).toEqual([
        'brightpath-edu',
      ]);
    },
  );

  it.each(databases.eachSupportedId())(
    'counts GPU-hours from the pods the cluster reported, and the catalog minimum where none were, on %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      await applyDatabaseMigrations(knex);
      const clock = new ManualClock(now);
      const samples = new GpuReplicaSampleStore(knex, 10 * 60_000);
      // Sampled every 5 minutes over the last 12 hours: 3 pods of 4 GPUs, then 4 pods.
      const readings = [];
      for (let t = now - 12 * HOUR_MS; t < now; t += 5 * 60_000) {
        const replicas = t < now - 6 * HOUR_MS ? 3 : 4;
        readings.push({
          deployment: 'llama-3-1-70b-eu',
          cell: 'eu-west-shared-1',
          gpuType: 'H100-80GB' as const,
          replicas,
          gpus: replicas * 4,
          at: t,
        });
      }
      await samples.record(readings);
      const engine = new CostEngine(
        new RollupStore(knex, { clock, minuteRetentionDays: 30 }),
        testPlatformCatalog(clock),
        clock,
        DEFAULT_GPU_HOURLY_USD,
        samples,
      );

      const [day] = (await engine.gpuCost({ from: now - DAY_MS, to: now }, {}))
        .deployments;
      // 6 h × 12 GPUs + 6 h × 16 seen, and 12 h unseen at 2 replicas × 4 GPUs.
      expect(day.gpuHours).toBeCloseTo(72 + 96 + 96);
      expect(day.gpuHoursSource).toBe('mixed');
      expect(day.observedShare).toBeCloseTo(0.5);
      expect(day.gpus).toBeCloseTo(264 / 24);
      expect(day.costUsd).toBeCloseTo(
        264 * DEFAULT_GPU_HOURLY_USD['H100-80GB'],
      );

      const [seen] = (
        await engine.gpuCost({ from: now - 12 * HOUR_MS, to: now }, {})
      ).deployments;
      expect(seen.gpuHours).toBeCloseTo(168);
      expect(seen.gpuHoursSource).toBe('observed');

      const [before] = (
        await engine.gpuCost(
          { from: now - 3 * DAY_MS, to: now - 2 * DAY_MS },
          {},
        )
      ).deployments;
      expect(before.gpuHoursSource).toBe('catalog');
      expect(before.gpuHours).toBeCloseTo(24 * 8);
    },
  );
});
