import {
  ErrorClass,
  errorClassSchema,
  Outcome,
  outcomeSchema,
} from '@cellport/plugin-platform-common';
import {
  addHistograms,
  emptyHistogram,
  Histogram,
  HISTOGRAM_BUCKET_COUNT,
  HISTOGRAM_METRICS,
  histogramColumn,
  HistogramMetric,
} from './histogram';
import { errorClassColumn } from './rollupSchema';

/**
 * Everything the rollups know about a set of requests: counts, tokens, cost, failures by class
 * and latency histograms. Sums of summaries are summaries, so any range or scope is the sum of
 * the rollup rows under it.
 */
export interface TrafficSummary {
  /** Requests (usage events). */
  requests: number;
  /** Requests by how they ended. `error` is a failure of the platform or its upstreams. */
  byOutcome: Record<Outcome, number>;
  /** Routing decisions, and how many of them fell back to another route. */
  decisions: number;
  fallbacks: number;
  /** Requests served from the prompt cache. */
  cached: number;
  inputTokens: number;
  outputTokens: number;
  /**
   * Token cost in US dollars, as the gateway priced it: the raw (unrounded) sum of the rows.
   * A report rounds it once (`roundUsd`, services/cost/usd.ts); rounding row by row would be
   * off by up to half a nano-dollar a row.
   */
  costUsd: number;
  /** Failed or rejected requests by failure class. */
  errorsByClass: Record<ErrorClass, number>;
  /** Latency histograms in milliseconds (see histogram.ts for the bucket bounds). */
  histograms: Record<HistogramMetric, Histogram>;
}

export function emptySummary(): TrafficSummary {
  return {
    requests: 0,
    byOutcome: Object.fromEntries(
      outcomeSchema.options.map(o => [o, 0]),
    ) as Record<Outcome, number>,
    decisions: 0,
    fallbacks: 0,
    cached: 0,
    inputTokens: 0,
    outputTokens: 0,
    costUsd: 0,
    errorsByClass: Object.fromEntries(
      errorClassSchema.options.map(c => [c, 0]),
    ) as Record<ErrorClass, number>,
    histograms: Object.fromEntries(
      HISTOGRAM_METRICS.map(m => [m, emptyHistogram()]),
    ) as Record<HistogramMetric, Histogram>,
  };
}

/** Adds one rollup row (sums as the database returns them: numbers or numeric strings). */
export function addRow(
  summary: TrafficSummary,
  row: Record<string, unknown>,
): TrafficSummary {
  const num = (column: string) => Number(row[column] ?? 0);
  const requests = num('requests');
  summary.requests += requests;
  if (typeof row.outcome === 'string' && row.outcome in summary.byOutcome) {
    summary.byOutcome[row.outcome as Outcome] += requests;
  }
  summary.decisions += num('decisions');
  summary.fallbacks += num('fallbacks');
  summary.cached += num('cached');
  summary.inputTokens += num('input_tokens');
  summary.outputTokens += num('output_tokens');
  summary.costUsd += num('cost_usd');
  for (const errorClass of errorClassSchema.options) {
    summary.errorsByClass[errorClass] += num(errorClassColumn(errorClass));
  }
  for (const metric of HISTOGRAM_METRICS) {
    const histogram = summary.histograms[metric];
    for (let i = 0; i < HISTOGRAM_BUCKET_COUNT; i++) {
      histogram[i] += num(histogramColumn(metric, i));
    }
  }
  return summary;
}

export function addSummaries(
  into: TrafficSummary,
  other: TrafficSummary,
): TrafficSummary {
  into.requests += other.requests;
  for (const outcome of outcomeSchema.options) {
    into.byOutcome[outcome] += other.byOutcome[outcome];
  }
  into.decisions += other.decisions;
  into.fallbacks += other.fallbacks;
  into.cached += other.cached;
  into.inputTokens += other.inputTokens;
  into.outputTokens += other.outputTokens;
  into.costUsd += other.costUsd;
  for (const errorClass of errorClassSchema.options) {
    into.errorsByClass[errorClass] += other.errorsByClass[errorClass];
  }
  for (const metric of HISTOGRAM_METRICS) {
    addHistograms(into.histograms[metric], other.histograms[metric]);
  }
  return into;
}
