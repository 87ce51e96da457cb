import { TestDatabases } from '@backstage/backend-test-utils';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { errorBudgetCheck } from '@cellport/plugin-platform-common';
import { applyDatabaseMigrations } from '../../database/migrations';
import {
  BackfilledPrometheus,
  BackfillSeries,
} from '../../__testUtils__/BackfilledPrometheus';
import { testPlatformCatalog } from '../../__testUtils__/entities';
import { PrometheusQueryClient } from '../prometheus/PrometheusQueryClient';
import { PrometheusSliSource } from '../prometheus/PrometheusSliSource';
import { RollupStore } from '../rollups/RollupStore';
import { SloEngine } from './SloEngine';
import { SloService } from './SloService';
import { closedPort } from '@cellport/plugin-platform-node-test-utils';
import { ManualClock } from '@cellport/plugin-platform-node';

jest.setTimeout(60_000);

const MINUTE = 60_000;
/** A whole minute an hour ago, so every backfilled sample lies in the past. */
const NOW = Math.floor(Date.now() / MINUTE) * MINUTE - 60 * MINUTE;
const CELL = 'eu-west-shared-1';

/** A counter over the last three hours, `perMinute` added each minute. */
function counter(labels: Record<string, string>, perMinute: number) {
  const samples: BackfillSeries['samples'] = [];
  for (let ago = 180; ago >= 0; ago--) {
    samples.push([NOW - ago * MINUTE, (180 - ago) * perMinute]);
  }
  return {
    name: 'cellport_memory_service_requests_total',
    labels: { cell: CELL, ...labels },
    samples,
  };
}

describe('errorBudgetCheck on the SLO report of a cell', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cellport-gate-'));
  const prometheus = new BackfilledPrometheus(dir);
  const databases = TestDatabases.create({
    ids: ['SQLITE_3'],
    disableDocker: true,
  });
  const clock = new ManualClock(NOW);
  let engine: SloEngine;
  const sloWith = (source?: PrometheusSliSource) =>
    new SloService(testPlatformCatalog(clock), engine, source);
  /** The deploy driver's check: the policy on the cell's report, as `GET /slos?cell=` answers. */
  const checkOf = async (slo: SloService) =>
    errorBudgetCheck(
      await slo.report({ kind: 'cell', name: CELL }, undefined, {
        services: true,
        budgetSeries: false,
      }),
    );

  beforeAll(async () => {
    // The Memory Service fails 1% of recalls against a 99.9% objective: its budget is spent.
    await prometheus.start([
      counter({ outcome: 'ok' }, 99),
      counter({ outcome: 'error' }, 1),
    ]);
    const knex = await databases.init('SQLITE_3');
    await applyDatabaseMigrations(knex);
    // No gateway traffic: the gateway's own objective keeps its whole budget.
    engine = new SloEngine(
      new RollupStore(knex, { clock, minuteRetentionDays: 7 }),
      clock,
    );
  });
  afterAll(async () => {
    await prometheus.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("stops a deploy while another runtime service's availability budget, read from Prometheus, is spent", async () => {
    const check = await checkOf(
      sloWith(
        new PrometheusSliSource(
          new PrometheusQueryClient(prometheus.url, 30_000),
          clock,
        ),
      ),
    );
    expect(check.exhausted).toBe(true);
    const budget = (name: string) =>
      check.budgets.find(b => b.objective === name)?.remainingFraction;
    expect(budget('gateway-availability')).toBe(1);
    // 1% bad against 0.1% allowed: ten times the budget spent.
    expect(budget('memory-service-availability')).toBeCloseTo(-9, 6);
    // Services without series yet have their whole budget; latency objectives do not gate.
    expect(budget('tool-gateway-availability')).toBe(1);
    expect(check.budgets.some(b => b.objective.includes('latency'))).toBe(
      false,
    );
    expect(check.unreadable).toEqual([]);
    expect(check.message).toBeUndefined();

    // The gate's read leaves out the burn-down points (one Prometheus range query each).
    const slo = sloWith(
      new PrometheusSliSource(
        new PrometheusQueryClient(prometheus.url, 30_000),
        clock,
      ),
    );
    const memoryOf = async (budgetSeries: boolean) =>
      (
        await slo.report({ kind: 'cell', name: CELL }, undefined, {
          services: true,
          budgetSeries,
        })
      ).services?.find(s => s.objective.name === 'memory-service-availability')
        ?.status;
    expect((await memoryOf(false))?.budgetSeries).toBeUndefined();
    expect((await memoryOf(true))?.budgetSeries?.length).toBeGreaterThan(0);
  });

  it('does not block on an SLI Prometheus cannot answer for, and says so', async () => {
    const down = `http://127.0.0.1:${await closedPort()}`;
    const check = await checkOf(
      sloWith(
        new PrometheusSliSource(new PrometheusQueryClient(down, 5_000), clock),
      ),
    );
    expect(check.exhausted).toBe(false);
    expect(check.budgets).toEqual([
      { objective: 'gateway-availability', remainingFraction: 1 },
    ]);
    const unreachable = `Prometheus at ${down} is unreachable: ECONNREFUSED`;
    expect(check.unreadable).toContainEqual({
      objective: 'memory-service-availability',
      message: unreachable,
    });
    for (const u of check.unreadable) {
      expect(u.objective).toMatch(/-availability$/);
      expect(u.message).toBe(unreachable);
    }
    expect(check.message).toMatch(
      /^Not counted, as an SLI that cannot be read does not block a deploy: .*memory-service-availability \(Prometheus at .* is unreachable: ECONNREFUSED\)/,
    );
  });

  it("reads the gateway's objectives alone without a configured Prometheus", async () => {
    expect(await checkOf(sloWith())).toEqual({
      exhausted: false,
      budgets: [{ objective: 'gateway-availability', remainingFraction: 1 }],
      unreadable: [],
    });
  });
});
