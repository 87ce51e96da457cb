import { TrafficSeries } from '@cellport/plugin-platform-common';
import { HISTOGRAM_METRICS, percentile } from '../rollups/histogram';
import { RollupFilter, RollupStore } from '../rollups/RollupStore';
import { MINUTE_MS, TimeRange } from '../rollups/timeRanges';
import { roundUsd } from '../cost/usd';

/**
 * `GET /traffic`: totals, errors, tokens, cost and latency percentiles over a range, and the
 * same for `buckets` equal parts of it (a chart's series in one answer instead of one request
 * per point).
 */
export class TrafficReport {
  constructor(private readonly rollups: RollupStore) {}

  async read(
    range: TimeRange,
    filter: RollupFilter,
    buckets = 0,
  ): Promise<TrafficSeries> {
    const [total, ...series] = await Promise.all(
      [range, ...equalParts(range, buckets)].map(part =>
        this.summarize(part, filter),
      ),
    );
    return buckets ? { ...total, buckets: series } : total;
  }

  private async summarize(range: TimeRange, filter: RollupFilter) {
    const summary = await this.rollups.summarize(range, filter);
    const latency = Object.fromEntries(
      HISTOGRAM_METRICS.map(metric => [
        metric,
        {
          p50: percentile(summary.histograms[metric], 0.5),
          p95: percentile(summary.histograms[metric], 0.95),
          p99: percentile(summary.histograms[metric], 0.99),
        },
      ]),
    );
    return {
      from: new Date(range.from).toISOString(),
      to: new Date(range.to).toISOString(),
      ...summary,
      // Kept raw in the summary; rounded once, here, where it is reported.
      costUsd: roundUsd(summary.costUsd),
      latency,
    };
  }
}

/**
 * A range cut into `count` equal parts, oldest first. Inner edges fall on whole minutes, the
 * rollups' finest grain: a minute read by two parts would be counted twice.
 */
export function equalParts(range: TimeRange, count: number): TimeRange[] {
  const step = (range.to - range.from) / count;
  const edge = (i: number) => {
    if (i === 0) return range.from;
    if (i === count) return range.to;
    const t = Math.floor((range.from + i * step) / MINUTE_MS) * MINUTE_MS;
    return Math.min(Math.max(t, range.from), range.to);
  };
  return Array.from({ length: count }, (_, i) => ({
    from: edge(i),
    to: edge(i + 1),
  }));
}
