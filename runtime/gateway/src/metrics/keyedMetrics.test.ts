import { Counter, Histogram, Registry } from 'prom-client';
import { KeyedCounter } from './KeyedCounter';
import { KeyedHistogram } from './KeyedHistogram';

/** What the test calls on both kinds, as the gateway calls them. */
interface Metrics {
  histogram: {
    observe(labels: Record<string, string>, value: number): void;
    reset(): void;
  };
  plain: { observe(value: number): void; reset(): void };
  counter: {
    inc(labels: Record<string, string>, amount?: number): void;
    reset(): void;
  };
  total: { inc(amount?: number): void; reset(): void };
}

/** The same metrics twice: prom-client's own and the keyed ones, in two registries. */
function twins() {
  const reference = new Registry();
  const keyed = new Registry();
  const histogram = {
    name: 'test_latency_seconds',
    help: 'Latency',
    labelNames: ['model', 'error_type'] as const,
    buckets: [0.01, 0.1, 0.5, 1],
  };
  const plain = {
    name: 'test_overhead_seconds',
    help: 'Overhead',
    buckets: [1, 2],
  };
  const counter = {
    name: 'test_requests_total',
    help: 'Requests "by" model\\tenant',
    labelNames: ['tenant', 'model'] as const,
  };
  const metrics: [Metrics, Metrics] = [
    {
      histogram: new Histogram({ ...histogram, registers: [reference] }),
      plain: new Histogram({ ...plain, registers: [reference] }),
      counter: new Counter({ ...counter, registers: [reference] }),
      total: new Counter({
        name: 'test_events_total',
        help: 'Events',
        registers: [reference],
      }),
    },
    {
      histogram: new KeyedHistogram({ ...histogram, registers: [keyed] }),
      plain: new KeyedHistogram({ ...plain, registers: [keyed] }),
      counter: new KeyedCounter({ ...counter, registers: [keyed] }),
      total: new KeyedCounter({
        name: 'test_events_total',
        help: 'Events',
        registers: [keyed],
      }),
    },
  ];
  return { reference, keyed, metrics };
}

describe('KeyedHistogram and KeyedCounter', () => {
  it('expose exactly what prom-client exposes for the same observations', async () => {
    const { reference, keyed, metrics } = twins();
    expect(await keyed.metrics()).toBe(await reference.metrics());
    for (const m of metrics) {
      // On a bound (inclusive), between bounds, above all, below all.
      for (const value of [0.01, 0.05, 0.1, 0.5, 0.7, 1, 3, -2]) {
        m.histogram.observe({ model: 'gpt-4o' }, value);
      }
      // A label left out is absent from the series, not empty.
      m.histogram.observe({ model: 'gpt-4o', error_type: 'timeout' }, 0.2);
      m.histogram.observe({ error_type: '' }, 0.2);
      m.histogram.observe({}, 0.3);
      m.histogram.observe({ model: 'a "quoted"\\model\nnext' }, 0.4);
      m.plain.observe(1.5);
      m.plain.observe(0.25);
      m.counter.inc({ tenant: 'northwind', model: 'gpt-4o' });
      m.counter.inc({ tenant: 'northwind', model: 'gpt-4o' }, 2.5);
      m.counter.inc({ tenant: 'contoso' }, 4);
      m.counter.inc({ tenant: 'contoso', model: 'gpt-4o' }, 0);
      m.total.inc(3);
      m.total.inc();
    }
    const text = await keyed.metrics();
    expect(text).toBe(await reference.metrics());
    expect(text).toContain(
      'test_latency_seconds_bucket{le="0.1",model="gpt-4o"} 4',
    );
    expect(text).toContain(
      'test_requests_total{tenant="northwind",model="gpt-4o"} 3.5',
    );
  });

  it('give the same JSON as prom-client', async () => {
    const { reference, keyed, metrics } = twins();
    for (const m of metrics) {
      m.histogram.observe({ model: 'gpt-4o', error_type: 'timeout' }, 0.2);
      m.counter.inc({ tenant: 'northwind', model: 'gpt-4o' });
    }
    // prom-client adds `exemplar: null` to each histogram value; exemplars are off.
    const withoutExemplars = (all: Array<{ values: object[] }>) =>
      all.map(metric => ({
        ...metric,
        values: metric.values.map(value => {
          const { exemplar, ...rest } = value as { exemplar?: unknown };
          return rest;
        }),
      }));
    expect(await keyed.getMetricsAsJSON()).toEqual(
      withoutExemplars(await reference.getMetricsAsJSON()),
    );
  });

  it('find a series by its labels whatever their order in the object', async () => {
    const registry = new Registry();
    const counter = new KeyedCounter({
      name: 'test_requests_total',
      help: 'Requests',
      labelNames: ['tenant', 'model'] as const,
      registers: [registry],
    });
    counter.inc({ tenant: 'contoso', model: 'gpt-4o' });
    counter.inc({ model: 'gpt-4o', tenant: 'contoso' });
    expect(await registry.metrics()).toContain(
      'test_requests_total{tenant="contoso",model="gpt-4o"} 2\n',
    );
  });

  it('start again from zero on reset, as prom-client does', async () => {
    const { reference, keyed, metrics } = twins();
    for (const m of metrics) {
      m.histogram.observe({ model: 'x' }, 0.2);
      m.plain.observe(0.2);
      m.counter.inc({ tenant: 't' });
      m.total.inc();
      m.histogram.reset();
      m.plain.reset();
      m.counter.reset();
      m.total.reset();
    }
    expect(await keyed.metrics()).toBe(await reference.metrics());
  });

  it('refuse values prom-client refuses, naming the metric', () => {
    const { metrics } = twins();
    const [, keyed] = metrics;
    expect(() => keyed.histogram.observe({ model: 'x' }, NaN)).toThrow(
      'test_latency_seconds: not a finite number: NaN',
    );
    expect(() => keyed.counter.inc({ tenant: 't' }, -1)).toThrow(
      'test_requests_total: a counter only grows',
    );
    expect(() => metrics[0].counter.inc({ tenant: 't' }, -1)).toThrow();
  });
});
