import type { Metric, Registry } from 'prom-client';
import { seriesKey, seriesLabels } from './seriesKey';

interface Series {
  labels: Record<string, string>;
  /** Observations per bucket (not cumulative), the last one for values above every bound. */
  counts: Float64Array;
  sum: number;
  count: number;
}

export interface KeyedHistogramOptions<L extends string> {
  name: string;
  help: string;
  labelNames?: readonly L[];
  buckets: readonly number[];
  registers: Registry[];
}

/**
 * A Prometheus histogram for the request path. prom-client's validates, sorts and hashes the
 * labels of every observation, about a microsecond each and ten of them a request; this one
 * finds its series by one string key (`seriesKey`) and adds to a bucket. It registers with a
 * prom-client Registry and exposes the same text (bucket, sum and count lines).
 */
export class KeyedHistogram<L extends string = never> {
  readonly name: string;
  readonly help: string;
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly labelNames: readonly L[];
  private readonly bounds: readonly number[];
  private series = new Map<string, Series>();

  constructor(options: KeyedHistogramOptions<L>) {
    this.name = options.name;
    this.help = options.help;
    this.labelNames = options.labelNames ?? [];
    this.bounds = [...options.buckets].sort((a, b) => a - b);
    for (const registry of options.registers) {
      registry.registerMetric(this as unknown as Metric);
    }
    // As prom-client does: a histogram without labels shows its zeros before any observation.
    if (this.labelNames.length === 0) this.seriesOf({});
  }

  /** `observe(value)` for a histogram without labels, `observe(labels, value)` otherwise. */
  observe(
    labelsOrValue: Partial<Record<L, string>> | number,
    value?: number,
  ): void {
    const labels = typeof labelsOrValue === 'number' ? {} : labelsOrValue;
    const observed = typeof labelsOrValue === 'number' ? labelsOrValue : value;
    if (typeof observed !== 'number' || !Number.isFinite(observed)) {
      throw new TypeError(`${this.name}: not a finite number: ${observed}`);
    }
    const series = this.seriesOf(labels);
    const bounds = this.bounds;
    let bucket = 0;
    while (bucket < bounds.length && observed > bounds[bucket]) bucket++;
    series.counts[bucket] += 1;
    series.sum += observed;
    series.count += 1;
  }

  /** Forgets every series (as prom-client's does, the zeros of one without labels too). */
  reset(): void {
    this.series = new Map();
  }

  /** What prom-client's Registry reads for JSON: each value with all of its labels. */
  async get() {
    const data = await this.getForPromString();
    return {
      ...data,
      values: data.values.map(
        ({ labels, sharedLabels, value, metricName }) => ({
          labels: { ...sharedLabels, ...labels },
          value,
          metricName,
        }),
      ),
    };
  }

  /** What prom-client's Registry reads at a scrape (the series' labels kept apart, as its own). */
  async getForPromString() {
    const values: Array<{
      labels: Record<string, string | number>;
      sharedLabels: Record<string, string>;
      value: number;
      metricName: string;
    }> = [];
    for (const series of this.series.values()) {
      let cumulative = 0;
      this.bounds.forEach((bound, at) => {
        cumulative += series.counts[at];
        values.push({
          labels: { le: bound },
          sharedLabels: series.labels,
          value: cumulative,
          metricName: `${this.name}_bucket`,
        });
      });
      values.push(
        {
          labels: { le: '+Inf' },
          sharedLabels: series.labels,
          value: series.count,
          metricName: `${this.name}_bucket`,
        },
        {
          labels: {},
          sharedLabels: series.labels,
          value: series.sum,
          metricName: `${this.name}_sum`,
        },
        {
          labels: {},
          sharedLabels: series.labels,
          value: series.count,
          metricName: `${this.name}_count`,
        },
      );
    }
    return {
      name: this.name,
      help: this.help,
      type: this.type,
      values,
      aggregator: this.aggregator,
    };
  }

  private seriesOf(labels: Partial<Record<L, string>>): Series {
    const key = seriesKey(this.labelNames, labels);
    let series = this.series.get(key);
    if (!series) {
      series = {
        labels: seriesLabels(this.labelNames, labels),
        counts: new Float64Array(this.bounds.length + 1),
        sum: 0,
        count: 0,
      };
      this.series.set(key, series);
    }
    return series;
  }
}
