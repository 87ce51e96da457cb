import { SloObjective } from '@cellport/plugin-platform-common';
import { applyDatabaseMigrations } from '../../database/migrations';
import { IngestService } from '../ingest/IngestService';
import { RollupStore } from '../rollups/RollupStore';
import { DAY_MS, HOUR_MS, MINUTE_MS } from '../rollups/timeRanges';
import { SloEngine } from './SloEngine';
import { burnRate, evaluateAlerts } from './burnRates';
import {
  createTestDatabases,
  makeRequest,
} from '@cellport/plugin-platform-node-test-utils';
import { ManualClock } from '@cellport/plugin-platform-node';

jest.setTimeout(60_000);

const availability: SloObjective = {
  name: 'gateway-availability',
  indicator: 'availability',
  target: 0.99,
  window: '28d',
};
const overhead: SloObjective = {
  name: 'gateway-overhead-p95',
  indicator: 'latency',
  metric: 'gateway-overhead',
  thresholdMs: 300,
  target: 0.95,
  window: '28d',
};

function request(
  time: number,
  tenant: string,
  failed: boolean,
  overheadMs = 20,
) {
  return makeRequest({
    timestamp: new Date(time).toISOString(),
    tenant,
    outcome: failed ? 'error' : 'success',
    errorClass: failed ? 'upstream-unavailable' : undefined,
    status: failed ? 503 : 200,
    gatewayOverheadMs: overheadMs,
  });
}

describe('burn-rate alerts', () => {
  it('pages only when both windows of a rule burn fast', () => {
    const rates = { '5m': 20, '30m': 0, '1h': 20, '6h': 0, '3d': 0 };
    expect(evaluateAlerts(rates).state).toBe('page');
    expect(evaluateAlerts({ ...rates, '5m': 1 }).state).toBe('ok');
    expect(
      evaluateAlerts({ '5m': 2, '30m': 2, '1h': 2, '6h': 2, '3d': 2 }).state,
    ).toBe('ticket');
    expect(burnRate(1, 1000, 0.999)).toBeCloseTo(1);
    expect(burnRate(0, 0, 0.999)).toBe(0);
  });
});

describe('SloEngine', () => {
  const databases = createTestDatabases();
  const now = Date.UTC(2026, 10, 23, 12, 0);

  it.each(databases.eachSupportedId())(
    'computes SLIs, budgets, burn rates and alert states from rollups, on %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      await applyDatabaseMigrations(knex);
      const events = [];
      // Steady, healthy traffic for 28 days: one request per 30 minutes per tenant.
      for (
        let t = now - 28 * DAY_MS + MINUTE_MS;
        t < now;
        t += 30 * MINUTE_MS
      ) {
        events.push(...request(t, 'healthy', false));
        events.push(...request(t, 'slow-burn', false));
        // "slow-burn" fails 1 in 25 requests over its last 3 days (burn rate 4: a ticket).
        if (t > now - 3 * DAY_MS) {
          for (let k = 1; k < 25; k++) {
            events.push(...request(t + k * 1000, 'slow-burn', k === 24));
          }
        }
      }
      // "outage" fails hard over the last 20 minutes, and is slow.
      for (let t = now - 20 * MINUTE_MS; t < now; t += MINUTE_MS) {
        events.push(...request(t, 'outage', true, 900));
      }
      events.push(...request(now - 2 * DAY_MS, 'outage', false));
      await new IngestService(knex).ingest(events);

      const clock = new ManualClock(now);
      const engine = new SloEngine(
        new RollupStore(knex, { clock, minuteRetentionDays: 30 }),
        clock,
      );
      const objectives = [availability, overhead].map(objective => ({
        objective,
        source: 'entity' as const,
      }));

      const [healthy, healthyLatency] = await engine.evaluate(objectives, {
        tenant: 'healthy',
      });
      expect(healthy.sli).toBe(1);
      expect(healthy.totalEvents).toBe(28 * 48);
      expect(healthy.errorBudget.remainingFraction).toBe(1);
      expect(healthy.alertState).toBe('ok');
      expect(healthy.state).toBe('ok');
      expect(healthyLatency.latency?.p95).toBeLessThanOrEqual(30);
      expect(healthy.budgetSeries.length).toBeGreaterThanOrEqual(28);

      const [outage, outageLatency] = await engine.evaluate(objectives, {
        tenant: 'outage',
      });
      expect(outage.burnRates['5m']).toBeGreaterThan(14.4);
      expect(outage.burnRates['1h']).toBeGreaterThan(14.4);
      expect(outage.alertState).toBe('page');
      expect(outage.state).toBe('exhausted');
      expect(outage.errorBudget.remainingFraction).toBeLessThan(0);
      expect(outage.meetingObjective).toBe(false);
      expect(outageLatency.sli).toBeCloseTo(1 / 21);

      const [slowBurn] = await engine.evaluate(objectives, {
        tenant: 'slow-burn',
      });
      expect(slowBurn.burnRates['3d']).toBeGreaterThan(1);
      expect(slowBurn.burnRates['6h']).toBeGreaterThan(1);
      expect(slowBurn.burnRates['6h']).toBeLessThan(6);
      expect(slowBurn.alertState).toBe('ticket');

      // An hour later the outage has stopped: the short window clears the page.
      clock.set(now + HOUR_MS);
      const [recovered] = await engine.evaluate(objectives, {
        tenant: 'outage',
      });
      expect(recovered.burnRates['5m']).toBe(0);
      expect(recovered.alertState).not.toBe('page');
      // The alerts quieten, the spent budget does not: the state stays "exhausted".
      expect(recovered.errorBudget.remainingFraction).toBeLessThan(0);
      expect(recovered.state).toBe('exhausted');
    },
  );

  it.each(databases.eachSupportedId())(
    "ends the burn-down at the window's budget, leaving out what is stamped after now or before the window, on %p",
    async databaseId => {
      const knex = await databases.init(databaseId);
      await applyDatabaseMigrations(knex);
      const events = [];
      for (let i = 0; i < 100; i++) {
        events.push(...request(now - 10 * MINUTE_MS, 'skewed', false));
      }
      // An hour before the window, on the UTC day it starts, and one inside it.
      events.push(...request(now - 28 * DAY_MS - HOUR_MS, 'skewed', true));
      events.push(...request(now - 27 * DAY_MS, 'skewed', true));
      // A gateway whose clock runs 30 minutes ahead: failures stamped later today.
      for (let i = 0; i < 50; i++) {
        events.push(...request(now + 30 * MINUTE_MS, 'skewed', true));
      }
      await new IngestService(knex).ingest(events);
      const clock = new ManualClock(now);
      const engine = new SloEngine(
        new RollupStore(knex, { clock, minuteRetentionDays: 30 }),
        clock,
      );

      const [status] = await engine.evaluate(
        [{ objective: availability, source: 'entity' }],
        { tenant: 'skewed' },
      );
      expect(status.totalEvents).toBe(101);
      expect(status.errorBudget.consumedBadEvents).toBe(1);
      const last = status.budgetSeries.at(-1)!;
      expect(last.consumedFraction).toBeCloseTo(
        status.errorBudget.consumedFraction,
      );
      expect(last.remainingFraction).toBeCloseTo(
        status.errorBudget.remainingFraction,
      );
      expect(last.timestamp).toBe(new Date(now).toISOString());
      // The first point ends the day of the failure inside the window: the window's first day
      // holds only the failure before the window, which is not drawn.
      expect(status.budgetSeries[0].timestamp).toBe(
        new Date(Date.UTC(2026, 9, 28)).toISOString(),
      );
    },
  );

  it.each(databases.eachSupportedId())(
    'counts in a burn window only the minutes that start inside it, as every other read does, on %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      await applyDatabaseMigrations(knex);
      const midMinute = Date.UTC(2026, 11, 3, 12, 5, 30);
      const events = [];
      // Failures 20 s before the 5-minute window opens, successes inside it.
      for (let i = 0; i < 10; i++) {
        events.push(
          ...request(midMinute - 5 * MINUTE_MS - 20_000, 'edge', true),
        );
        events.push(...request(midMinute - 2 * MINUTE_MS, 'edge', false));
      }
      await new IngestService(knex).ingest(events);
      const clock = new ManualClock(midMinute);
      const store = new RollupStore(knex, { clock, minuteRetentionDays: 30 });
      const window = { from: midMinute - 5 * MINUTE_MS, to: midMinute };
      expect((await store.summarize(window, {})).byOutcome.error).toBe(0);
      const [status] = await new SloEngine(store, clock).evaluate(
        [{ objective: availability, source: 'entity' }],
        { tenant: 'edge' },
      );
      // Before, the 5-minute window counted the failures' minute and paged.
      expect(status.burnRates['5m']).toBe(0);
      expect(status.burnRates['1h']).toBeGreaterThan(0);
    },
  );
});
