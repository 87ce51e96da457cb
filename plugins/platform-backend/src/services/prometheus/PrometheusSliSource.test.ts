import { ConfigReader } from '@backstage/config';
import {
  cellServiceSlos,
  DEFAULT_SLOS,
  ServiceSlo,
} from '@cellport/plugin-platform-common';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {
  BackfilledPrometheus,
  BackfillSeries,
} from '../../__testUtils__/BackfilledPrometheus';
import { PrometheusQueryClient } from './PrometheusQueryClient';
import { BURN_DOWN_POINTS, PrometheusSliSource } from './PrometheusSliSource';
import { PrometheusUnavailableError } from './PrometheusUnavailableError';
import { closedPort } from '@cellport/plugin-platform-node-test-utils';
import { ManualClock } from '@cellport/plugin-platform-node';

// Backfilling a month of samples and starting Prometheus take a while on a loaded machine.
jest.setTimeout(180_000);

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
/** The query instant: a whole minute an hour ago, so every sample lies in the past. */
const NOW = Math.floor(Date.now() / MINUTE) * MINUTE - 60 * MINUTE;
const CELL = 'c1';

/**
 * A counter over the last 30 days, `perMinute(minutesAgo)` added each minute. Sampled every
 * minute over the last 4 days (the burn windows read those) and every 10 minutes before.
 */
function counter(
  name: string,
  labels: Record<string, string>,
  perMinute: (minutesAgo: number) => number,
): BackfillSeries {
  const samples: BackfillSeries['samples'] = [];
  let value = 0;
  for (let ago = 30 * 24 * 60; ago >= 0; ago--) {
    if (ago < 30 * 24 * 60) value += perMinute(ago);
    if (ago <= 4 * 24 * 60 || ago % 10 === 0) {
      samples.push([NOW - ago * MINUTE, value]);
    }
  }
  return { name, labels, samples };
}

const every = (n: number) => () => n;

const SERIES: BackfillSeries[] = [
  // Memory Service: 0.2% of requests fail, all month long.
  counter(
    'cellport_memory_service_requests_total',
    { cell: CELL, outcome: 'ok' },
    every(998),
  ),
  counter(
    'cellport_memory_service_requests_total',
    { cell: CELL, outcome: 'error' },
    every(2),
  ),
  // Its recall latency: 96% under the 200 ms objective.
  counter(
    'cellport_memory_service_request_duration_seconds_bucket',
    { cell: CELL, operation: 'recall', le: '0.2' },
    every(960),
  ),
  counter(
    'cellport_memory_service_request_duration_seconds_count',
    { cell: CELL, operation: 'recall' },
    every(1000),
  ),
  // Writes are slow, but the objective measures recall: they must not count.
  counter(
    'cellport_memory_service_request_duration_seconds_bucket',
    { cell: CELL, operation: 'write', le: '0.2' },
    every(0),
  ),
  counter(
    'cellport_memory_service_request_duration_seconds_count',
    { cell: CELL, operation: 'write' },
    every(1000),
  ),
  // Another cell's Memory Service fails everything: not this cell's SLI.
  counter(
    'cellport_memory_service_requests_total',
    { cell: 'c2', outcome: 'error' },
    every(1000),
  ),
  // Tool Gateway: healthy, then 500 failures a minute over the last 10 minutes.
  counter(
    'cellport_tool_gateway_requests_total',
    { cell: CELL, outcome: 'ok' },
    every(1000),
  ),
  counter(
    'cellport_tool_gateway_requests_total',
    { cell: CELL, outcome: 'error' },
    ago => (ago < 10 ? 500 : 0),
  ),
  // The gateway: 1 in 101 of a tenant's requests fails, in its SLI counter. Its request
  // counter, for dashboards, also has unauthenticated refusals, which do not count.
  counter(
    'cellport_gateway_sli_requests_total',
    { cell: CELL, outcome: 'success' },
    every(100),
  ),
  counter(
    'cellport_gateway_sli_requests_total',
    { cell: CELL, outcome: 'error' },
    every(1),
  ),
  counter(
    'cellport_gateway_requests_total',
    { cell: CELL, tenant: 'northwind-retail', outcome: 'success' },
    every(100),
  ),
  counter(
    'cellport_gateway_requests_total',
    { cell: CELL, tenant: 'unknown', outcome: 'error' },
    every(50),
  ),
];

/** The cell's objectives as the catalog gives them, seed 001's defaults. */
const SLOS = cellServiceSlos({
  spec: { owner: 'group:default/platform-sre' },
});
const slo = (name: string) => SLOS.find(s => s.name === name)!;

describe('PrometheusSliSource, against a real Prometheus', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cellport-prom-sli-'));
  const prometheus = new BackfilledPrometheus(dir);
  let source: PrometheusSliSource;

  beforeAll(async () => {
    await prometheus.start(SERIES);
    source = new PrometheusSliSource(
      new PrometheusQueryClient(prometheus.url, 30_000),
      new ManualClock(NOW),
    );
  });
  afterAll(async () => {
    await prometheus.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("reads each objective's SLI, error budget, burn rates and alert state over its windows", async () => {
    const names = [
      'memory-service-availability',
      'memory-service-latency',
      'tool-gateway-availability',
      'tool-gateway-latency',
      'policy-engine-availability',
    ];
    const [memory, recall, tools, toolLatency, policy] = await source.evaluate(
      names.map(slo),
      CELL,
    );

    // 0.2% bad against a 0.1% budget: twice the budget, every window; the ticket alert fires.
    expect(memory.objective).toEqual({
      name: 'memory-service-availability',
      indicator: 'availability',
      target: 0.999,
      window: '28d',
    });
    expect(memory.sli).toBeCloseTo(0.998, 9);
    // A 28-day window of 1000 requests a minute; increase() extrapolates a little.
    expect(memory.totalEvents / (28 * 1440 * 1000)).toBeCloseTo(1, 2);
    expect(memory.errorBudget.remainingFraction).toBeCloseTo(-1, 6);
    for (const rate of Object.values(memory.burnRates)) {
      expect(rate).toBeCloseTo(2, 6);
    }
    expect(memory.alertState).toBe('ticket');
    expect(memory.state).toBe('exhausted');
    expect(memory.windowEnd).toBe(new Date(NOW).toISOString());
    expect(memory.windowStart).toBe(new Date(NOW - 28 * DAY).toISOString());

    // Recall alone: 96% within 200 ms against 95%, a fifth of the budget left.
    expect(recall.objective.thresholdMs).toBe(200);
    expect(recall.sli).toBeCloseTo(0.96, 9);
    expect(recall.errorBudget.remainingFraction).toBeCloseTo(0.2, 6);
    expect(recall.burnRates['5m']).toBeCloseTo(0.8, 6);
    expect(recall.state).toBe('ok');

    // The last 10 minutes' outage: exact over the burn windows, every alert fires.
    const bad = 500 * 10;
    expect(tools.burnRates['5m']).toBeCloseTo(1 / 3 / 0.001, 3);
    expect(tools.burnRates['30m']).toBeCloseTo(bad / (30_000 + bad) / 0.001, 3);
    expect(tools.burnRates['1h']).toBeCloseTo(bad / (60_000 + bad) / 0.001, 3);
    expect(tools.burnRates['6h']).toBeCloseTo(bad / (360_000 + bad) / 0.001, 3);
    expect(tools.burnRates['3d']).toBeCloseTo(
      bad / (3 * 1440_000 + bad) / 0.001,
      3,
    );
    expect(tools.alerts.map(a => a.firing)).toEqual([true, true, true]);
    expect(tools.alertState).toBe('page');
    expect(tools.state).toBe('burning');
    expect(tools.sli).toBeCloseTo(1 - bad / (28 * 1440_000 + bad), 5);

    // No series at all: nothing known, nothing firing.
    for (const empty of [toolLatency, policy]) {
      expect(empty).toMatchObject({
        totalEvents: 0,
        goodEvents: 0,
        sli: null,
        state: 'no data',
        alertState: 'ok',
      });
    }
  });

  it("draws each budget's course over its window, in BURN_DOWN_POINTS steps ending now", async () => {
    const [memory, tools, policy] = await source.evaluate(
      [
        slo('memory-service-availability'),
        slo('tool-gateway-availability'),
        slo('policy-engine-availability'),
      ],
      CELL,
      { budgetSeries: true },
    );
    const stepMs = (28 * DAY) / BURN_DOWN_POINTS;
    for (const status of [memory, tools, policy]) {
      const series = status.budgetSeries!;
      expect(series).toHaveLength(BURN_DOWN_POINTS);
      expect(series[0].timestamp).toBe(
        new Date(NOW - 28 * DAY + stepMs).toISOString(),
      );
      expect(series.at(-1)!.timestamp).toBe(status.windowEnd);
    }

    // Twice the allowed failures all month: the budget drains evenly, to -100% at the end.
    memory.budgetSeries!.forEach((point, k) => {
      expect(point.remainingFraction).toBeCloseTo(1 - (2 * (k + 1)) / 100, 2);
      expect(point.consumedFraction).toBeCloseTo(
        1 - point.remainingFraction,
        9,
      );
    });
    // Its last point is the budget the card states, step sums and window alike.
    expect(memory.budgetSeries!.at(-1)!.remainingFraction).toBeCloseTo(
      memory.errorBudget.remainingFraction!,
      2,
    );

    // Untouched for four weeks, then the last ten minutes' outage spends it in the last step.
    const tail = tools.budgetSeries!.at(-1)!;
    expect(tools.budgetSeries!.at(-2)!.remainingFraction).toBe(1);
    expect(tail.remainingFraction).toBeCloseTo(
      tools.errorBudget.remainingFraction!,
      2,
    );
    expect(tail.remainingFraction).toBeLessThan(0.9);

    // No series: a flat, untouched budget, not an error.
    expect(policy.budgetSeries!.every(p => p.remainingFraction === 1)).toBe(
      true,
    );

    // Without the option (the cell list, the deploy gate): no range query, no series.
    const [plain] = await source.evaluate(
      [slo('memory-service-availability')],
      CELL,
    );
    expect(plain.budgetSeries).toBeUndefined();
  });

  it("reads the gateway's objectives from its SLI counter, leaving out unauthenticated refusals", async () => {
    const gatewayAvailability = SLOS.find(
      s => s.service === 'ai-gateway' && s.indicator === 'availability',
    )!;
    expect(gatewayAvailability.sli.kind).toBe('events');
    const [status] = await source.evaluate([gatewayAvailability], CELL);
    expect(status.objective.name).toBe(DEFAULT_SLOS[0].name);
    expect(status.sli).toBeCloseTo(100 / 101, 9);
  });

  it('refuses a selector that is a PromQL expression before asking Prometheus', async () => {
    const injected: ServiceSlo = {
      ...slo('policy-engine-availability'),
      sli: {
        kind: 'ratio',
        good: 'up) or vector(1',
        total: 'cellport_policy_engine_requests_total',
      },
    };
    await expect(source.evaluate([injected], CELL)).rejects.toThrow(
      /Not a series selector/,
    );
  });

  it('says what Prometheus answered when it refuses a query', async () => {
    // A timeout in fractions of a second is one Prometheus accepts too.
    expect(
      await new PrometheusQueryClient(prometheus.url, 2_500).instantQuery(
        'vector(1)',
        NOW,
      ),
    ).toEqual([{ labels: {}, value: 1 }]);
    const client = new PrometheusQueryClient(prometheus.url, 30_000);
    const error = await client.instantQuery('sum(', NOW).catch(e => e);
    expect(error).toBeInstanceOf(PrometheusUnavailableError);
    expect(error.reason).toBe('query-failed');
    expect(error.message).toMatch(
      new RegExp(
        `^Prometheus at ${prometheus.url} refused the SLI query \\(HTTP 400\\): .*parse error`,
      ),
    );
  });

  it('says Prometheus is unreachable when nothing listens, or nothing answers in time', async () => {
    const down = `http://127.0.0.1:${await closedPort()}`;
    const refused = await new PrometheusSliSource(
      new PrometheusQueryClient(down, 5_000),
    )
      .evaluate([slo('policy-engine-availability')], CELL)
      .catch(e => e);
    expect(refused).toBeInstanceOf(PrometheusUnavailableError);
    expect(refused.reason).toBe('unreachable');
    expect(refused.message).toBe(
      `Prometheus at ${down} is unreachable: ECONNREFUSED`,
    );

    // A peer that accepts the connection and never answers.
    const silent = net.createServer(() => undefined);
    await new Promise<void>(resolve => silent.listen(0, '127.0.0.1', resolve));
    const hung = `http://127.0.0.1:${
      (silent.address() as net.AddressInfo).port
    }`;
    try {
      const timedOut = await new PrometheusQueryClient(hung, 300)
        .instantQuery('up', NOW)
        .catch(e => e);
      expect(timedOut.reason).toBe('unreachable');
      expect(timedOut.message).toBe(
        `Prometheus at ${hung} did not answer within 0.3 s`,
      );
    } finally {
      silent.close();
    }
  });
});

describe('PrometheusSliSource.fromConfig', () => {
  const config = (prometheus: object) =>
    new ConfigReader({ platform: { prometheus } });

  it('is absent without platform.prometheus.baseUrl', () => {
    expect(
      PrometheusSliSource.fromConfig(new ConfigReader({})),
    ).toBeUndefined();
    expect(PrometheusSliSource.fromConfig(config({}))).toBeUndefined();
  });

  it('reads the base URL, and names the key of a bad setting', () => {
    expect(
      PrometheusSliSource.fromConfig(config({ baseUrl: 'http://prom:9090' }))
        ?.baseUrl,
    ).toBe('http://prom:9090');
    expect(() =>
      PrometheusSliSource.fromConfig(config({ baseUrl: 'prom:9090' })),
    ).toThrow(/^platform.prometheus.baseUrl must be an http\(s\) URL/);
    expect(() =>
      PrometheusSliSource.fromConfig(
        config({ baseUrl: 'http://prom:9090', timeoutSeconds: 0 }),
      ),
    ).toThrow(/^platform.prometheus.timeoutSeconds must be a positive number/);
  });
});
