import { applyDatabaseMigrations } from '../../database/migrations';
import type { Entity } from '@backstage/catalog-model';
import {
  TEST_ENTITIES,
  testPlatformCatalog,
} from '../../__testUtils__/entities';
import { IngestService } from '../ingest/IngestService';
import { RollupStore } from '../rollups/RollupStore';
import { DAY_MS, HOUR_MS } from '../rollups/timeRanges';
import { CostEngine } from './CostEngine';
import { DEFAULT_GPU_HOURLY_USD } from './gpuPrices';
import { GpuReplicaSampleStore } from './GpuReplicaSampleStore';
import { GpuSpendLedger } from './GpuSpendLedger';
import { legacyFirstApplied } from './firstApplies';
import { Knex } from 'knex';
import {
  createTestDatabases,
  makeRequest,
} from '@cellport/plugin-platform-node-test-utils';
import { ManualClock } from '@cellport/plugin-platform-node';

jest.setTimeout(60_000);

const LLAMA = 'InferenceDeployment:default/llama-3-1-70b-eu';
const H100 = DEFAULT_GPU_HOURLY_USD['H100-80GB'];

/**
 * Records an apply attempt of `entityRef` at `at`, as the deploy driver did in this database
 * before it became a plugin of its own (the router test of plugins/platform-deploy-backend
 * charges from the driver's own log, over HTTP).
 */
async function recordApply(
  knex: Knex,
  entityRef: string,
  at: number,
  result: 'applied' | 'failed' = 'applied',
) {
  await knex('platform_deploy_audit').insert({
    at,
    actor: 'user:default/ops',
    entity_ref: entityRef,
    cluster: 'eks-eu-west-1-shared',
    result,
    error_budgets: '[]',
    counts: JSON.stringify({ applied: 1, changed: 1 }),
    objects: '[]',
  });
}

function costEngine(
  knex: Knex,
  clock: ManualClock,
  samples?: GpuReplicaSampleStore,
  gpuHourlyUsd: typeof DEFAULT_GPU_HOURLY_USD = DEFAULT_GPU_HOURLY_USD,
  entities: Entity[] = TEST_ENTITIES,
) {
  const rollups = new RollupStore(knex, { clock, minuteRetentionDays: 30 });
  const catalog = testPlatformCatalog(clock, entities);
  return new CostEngine(
    rollups,
    catalog,
    clock,
    new GpuSpendLedger({
      catalog,
      rollups,
      samples,
      firstApplied: refs => legacyFirstApplied(knex, refs),
      gpuHourlyUsd,
    }),
  );
}

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

      // The Llama's manifests were applied two days ago; a failed attempt before counts not.
      await recordApply(knex, LLAMA, now - 3 * DAY_MS, 'failed');
      await recordApply(knex, LLAMA.toLowerCase(), now - 2 * DAY_MS);
      const clock = new ManualClock(now);
      const engine = costEngine(knex, clock);

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
      expect(budget.covers).toEqual(['tokens', 'gpus']);
      expect(budget.tokenUsd).toBeCloseTo(105);
      // Its share of the one hour it used the Llama: 48000 of the hour's 52000 tokens.
      const northwindGpu = 8 * H100 * (48000 / 52000);
      expect(budget.gpuUsd).toBeCloseTo(northwindGpu);
      expect(budget.monthToDateUsd).toBeCloseTo(105 + northwindGpu);
      expect(budget.forecastBasis).toBe(
        'the trend of 10 complete days of token and GPU spend',
      );
      // What is spent, GPUs included, and $10 a day for the 19.5 days left: about $195 more.
      const projected = budget.forecastUsd - budget.monthToDateUsd;
      expect(projected).toBeGreaterThan(190);
      expect(projected).toBeLessThan(200);
      const checkout = budget.agents.find(
        a => a.agent === 'checkout-assistant',
      )!;
      expect(checkout.monthlyBudgetUsd).toBe(1500);
      expect(checkout.monthToDateUsd).toBeCloseTo(105);

      // Brightpath pays GPUs only: 35 hours alone on the Llama and 4000 of 52000 tokens in the
      // last; the 12 applied hours before its first request were idle on a shared cell.
      const brightpathBudget = await engine.tenantBudget('brightpath-edu');
      const brightpathGpu = 8 * H100 * (35 + 4000 / 52000);
      expect(brightpathBudget.tokenUsd).toBe(0);
      expect(brightpathBudget.gpuUsd).toBeCloseTo(brightpathGpu);
      expect(brightpathBudget.monthToDateUsd).toBeCloseTo(brightpathGpu);
      expect(brightpathBudget.daily.at(-1)!.gpuUsd).toBeCloseTo(
        8 * H100 * 11 + 8 * H100 * (4000 / 52000),
      );
      expect(brightpathBudget.forecastUsd).toBeGreaterThan(brightpathGpu);
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
      expect(llama.gpuHoursSource).toBe('applied');
      expect(llama.firstAppliedAt).toBe(
        new Date(now - 2 * DAY_MS).toISOString(),
      );
      expect(llama.costUsd).toBeCloseTo(192 * H100);
      // Brightpath's traffic began 36 hours ago: no idle hour in the last 24.
      expect(llama.idleUsd).toBe(0);
      const shares = Object.fromEntries(
        llama.tenants.map(t => [t.tenant, t.tokenShare]),
      );
      // Brightpath used 24 h × 4000 tokens in the range, Northwind 48000.
      expect(shares['brightpath-edu']).toBeCloseTo(96000 / 144000);
      expect(shares['northwind-retail']).toBeCloseTo(48000 / 144000);
      expect(gpu.byCell).toEqual([
        { cell: 'eu-west-shared-1', costUsd: llama.costUsd },
      ]);
      const future = await engine.gpuCost(
        { from: now + DAY_MS, to: now + 2 * DAY_MS },
        {},
      );
      expect(future.to).toBe(future.from);
      expect(future.totalUsd).toBe(0);
      const restricted = await engine.gpuCost(
        { from: now - DAY_MS, to: now },
        { tenants: ['brightpath-edu'] },
      );
      expect(restricted.byTenant.map(t => t.tenant)).toEqual([
        'brightpath-edu',
      ]);
      // Only its share of the deployment's cost, everywhere it shows: never the whole.
      const [own] = restricted.deployments;
      const brightpathUsd = restricted.byTenant[0].costUsd;
      expect(own.costUsd).toBeCloseTo(brightpathUsd);
      expect(own.costUsd).toBeLessThan(llama.costUsd);
      // Nothing else gives the whole back: GPU-hours are its share too, token shares its own.
      expect(own.gpuHours * own.hourlyUsdPerGpu).toBeCloseTo(own.costUsd);
      expect(own.tenants.map(t => t.tokenShare)).toEqual([1]);
      expect(restricted.totalUsd).toBeCloseTo(brightpathUsd);
      expect(restricted.byCell).toEqual([
        { cell: 'eu-west-shared-1', costUsd: own.costUsd },
      ]);
      // A tenant that used none of the deployment sees none of it.
      const stranger = await engine.gpuCost(
        { from: now - DAY_MS, to: now },
        { tenants: ['acme-labs'] },
      );
      expect(stranger).toMatchObject({
        totalUsd: 0,
        deployments: [],
        byCell: [],
        byTenant: [],
      });
      // With no price for its GPUs, a restricted caller's GPU-hours are still its share.
      const free = Object.fromEntries(
        Object.keys(DEFAULT_GPU_HOURLY_USD).map(type => [type, 0]),
      ) as typeof DEFAULT_GPU_HOURLY_USD;
      const [unpriced] = (
        await costEngine(knex, clock, undefined, free).gpuCost(
          { from: now - DAY_MS, to: now },
          { tenants: ['brightpath-edu'] },
        )
      ).deployments;
      expect(unpriced.costUsd).toBe(0);
      expect(unpriced.gpuHours).toBeCloseTo(own.gpuHours, 6);

      // A hand-edited deployment naming its cell and model in other case costs the same, in
      // the same cell, charged to the same tenants.
      const recased = TEST_ENTITIES.map(e =>
        e.kind === 'InferenceDeployment'
          ? {
              ...e,
              spec: {
                ...e.spec,
                cell: 'cell:default/EU-West-Shared-1',
                modelProfile: 'modelprofile:default/LLAMA-3-1-70B-EU',
              },
            }
          : e,
      );
      const cased = await costEngine(
        knex,
        clock,
        undefined,
        DEFAULT_GPU_HOURLY_USD,
        recased,
      ).gpuCost(
        { from: now - DAY_MS, to: now + DAY_MS },
        { cell: 'eu-west-shared-1' },
      );
      expect(cased.byCell).toEqual(gpu.byCell);
      expect(cased.byTenant).toEqual(gpu.byTenant);
    },
  );

  it.each(databases.eachSupportedId())(
    'counts GPU-hours from the pods the cluster reported, and the catalog minimum where none were, on %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      await applyDatabaseMigrations(knex);
      const clock = new ManualClock(now);
      const samples = new GpuReplicaSampleStore(knex, 10 * 60_000);
      await recordApply(knex, LLAMA, now - 18 * HOUR_MS);
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
      const engine = costEngine(knex, clock, samples);

      const [day] = (await engine.gpuCost({ from: now - DAY_MS, to: now }, {}))
        .deployments;
      // 6 h × 12 GPUs + 6 h × 16 seen, and of the 12 h unseen only the 6 since the apply, at
      // 2 replicas × 4 GPUs.
      expect(day.gpuHours).toBeCloseTo(72 + 96 + 48);
      expect(day.gpuHoursSource).toBe('mixed');
      expect(day.observedShare).toBeCloseTo(0.5);
      expect(day.gpus).toBeCloseTo(216 / 24);
      expect(day.costUsd).toBeCloseTo(216 * H100);
      // No tokens at all: every charged hour was idle.
      expect(day.idleUsd).toBeCloseTo(day.costUsd);

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
      // Before its first apply it existed only in the catalog: nothing to charge.
      expect(before.gpuHoursSource).toBe('not-applied');
      expect(before.gpuHours).toBe(0);
      expect(before.costUsd).toBe(0);
    },
  );

  it.each(databases.eachSupportedId())(
    'charges a deployment applied minutes ago for those minutes, not a day, on %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      await applyDatabaseMigrations(knex);
      const clock = new ManualClock(now);
      const engine = costEngine(knex, clock);
      const day = { from: now - DAY_MS, to: now };

      const [registered] = (await engine.gpuCost(day, {})).deployments;
      expect(registered).toMatchObject({
        gpuHoursSource: 'not-applied',
        gpuHours: 0,
        costUsd: 0,
        idleUsd: 0,
      });

      await recordApply(knex, LLAMA, now - 10 * 60_000);
      const [applied] = (await engine.gpuCost(day, {})).deployments;
      expect(applied.gpuHoursSource).toBe('applied');
      expect(applied.gpuHours).toBeCloseTo((8 * 10) / 60);
      expect(applied.costUsd).toBeCloseTo(((8 * 10) / 60) * H100);
    },
  );

  it.each(databases.eachSupportedId())(
    "shares a model's only deployment by its tokens from every cell, and several deployments each by its own cell's, on %p",
    async databaseId => {
      const knex = await databases.init(databaseId);
      await applyDatabaseMigrations(knex);
      const clock = new ManualClock(now);
      await recordApply(knex, LLAMA, now - 2 * HOUR_MS);
      // Brightpath calls the Llama from another cell: a shared profile, one deployment.
      await new IngestService(knex).ingest(
        makeRequest({
          timestamp: new Date(now - HOUR_MS).toISOString(),
          cell: 'us-east-shared-1',
          tenant: 'brightpath-edu',
          modelProfile: 'llama-3-1-70b-eu',
          inputTokens: 3000,
          outputTokens: 1000,
        }),
      );
      const day = { from: now - DAY_MS, to: now };
      const [only] = (await costEngine(knex, clock).gpuCost(day, {}))
        .deployments;
      expect(only.tenants.map(t => t.tenant)).toEqual(['brightpath-edu']);

      // A second deployment of the same model, in that other cell: the traffic there is its,
      // and the EU deployment served none of it.
      const eu = TEST_ENTITIES.find(
        e =>
          e.kind === 'InferenceDeployment' &&
          e.metadata.name === 'llama-3-1-70b-eu',
      )!;
      const us = {
        ...eu,
        metadata: { ...eu.metadata, name: 'llama-3-1-70b-us' },
        spec: { ...(eu.spec as object), cell: 'cell:default/us-east-shared-1' },
      };
      await recordApply(
        knex,
        'InferenceDeployment:default/llama-3-1-70b-us',
        now - 2 * HOUR_MS,
      );
      const both = (
        await costEngine(knex, clock, undefined, undefined, [
          ...TEST_ENTITIES,
          us,
        ]).gpuCost(day, {})
      ).deployments;
      const euSpend = both.find(d => d.deployment === 'llama-3-1-70b-eu')!;
      const usSpend = both.find(d => d.deployment === 'llama-3-1-70b-us')!;
      expect(euSpend.tenants).toEqual([]);
      expect(euSpend.idleUsd).toBeCloseTo(euSpend.costUsd, 6);
      expect(usSpend.tenants.map(t => t.tenant)).toEqual(['brightpath-edu']);
    },
  );
});
