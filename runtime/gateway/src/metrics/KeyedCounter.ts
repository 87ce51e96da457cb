import type { Metric, Registry } from 'prom-client';
import { seriesKey, seriesLabels } from './seriesKey';

/** One series of a counter; `labels()` hands it out to a caller that counts in it often. */
export class CounterSeries {
  constructor(readonly labels: Record<string, string>, public value: number) {}

  inc(amount = 1): void {
    this.value += amount;
  }
}

export interface KeyedCounterOptions<L extends string> {
  name: string;
  help: string;
  labelNames?: readonly L[];
  registers: Registry[];
}

/**
 * A Prometheus counter for the request path: the series found by one string key
 * (`seriesKey`) instead of prom-client's validated, sorted and hashed labels. It registers
 * with a prom-client Registry and exposes the same text.
 */
export class KeyedCounter<L extends string = never> {
  readonly name: string;
  readonly help: string;
  readonly type = 'counter';
  readonly aggregator = 'sum';
  private readonly labelNames: readonly L[];
  private series = new Map<string, CounterSeries>();

  constructor(options: KeyedCounterOptions<L>) {
    this.name = options.name;
    this.help = options.help;
    this.labelNames = options.labelNames ?? [];
    for (const registry of options.registers) {
      registry.registerMetric(this as unknown as Metric);
    }
    this.reset();
  }

  /** `inc()`, `inc(amount)`, `inc(labels)` or `inc(labels, amount)`; amounts are never negative. */
  inc(
    labelsOrAmount?: Partial<Record<L, string>> | number,
    amount?: number,
  ): void {
    const labels =
      typeof labelsOrAmount === 'object' && labelsOrAmount !== null
        ? labelsOrAmount
        : {};
    const added =
      typeof labelsOrAmount === 'number' ? labelsOrAmount : amount ?? 1;
    if (typeof added !== 'number' || !Number.isFinite(added) || added < 0) {
      throw new TypeError(
        `${this.name}: a counter only grows, by a finite amount: ${added}`,
      );
    }
    const key = seriesKey(this.labelNames, labels);
    const series = this.series.get(key);
    if (series) {
      series.value += added;
    } else {
      this.series.set(
        key,
        new CounterSeries(seriesLabels(this.labelNames, labels), added),
      );
    }
  }

  /**
   * The series of `labels`, made at 0 if it is new (so that its first count is an increase
   * Prometheus sees), as prom-client's `labels()`. A hot path keeps it and counts with no key
   * to build; a `reset()` detaches it.
   */
  labels(labels: Partial<Record<L, string>>): CounterSeries {
    const key = seriesKey(this.labelNames, labels);
    let series = this.series.get(key);
    if (!series) {
      series = new CounterSeries(seriesLabels(this.labelNames, labels), 0);
      this.series.set(key, series);
    }
    return series;
  }

  reset(): void {
    this.series = new Map();
    // As prom-client does: a counter without labels shows 0 before it is first counted.
    if (this.labelNames.length === 0)
      this.series.set('', new CounterSeries({}, 0));
  }

  /** What prom-client's Registry reads at a scrape. */
  async get() {
    return {
      name: this.name,
      help: this.help,
      type: this.type,
      values: [...this.series.values()].map(({ labels, value }) => ({
        labels,
        value,
      })),
      aggregator: this.aggregator,
    };
  }
}
