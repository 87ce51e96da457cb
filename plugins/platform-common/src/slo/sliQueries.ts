import { HistogramSli, PrometheusSli } from '../kinds/serviceSlos';
import { ServiceSlo } from './cellServiceSlos';
import {
  GATEWAY_AVAILABILITY_SLI,
  GATEWAY_LATENCY_HISTOGRAMS,
} from './gatewaySliMetrics';
import {
  PromMatcher,
  PromSelector,
  promSelector,
  promString,
  renderPromSelector,
} from './promSelector';

/**
 * The Prometheus SLI of an objective. An event SLI (the gateway's and router's) reads the
 * gateway's own counters and histograms, which count what its events count.
 */
export function prometheusSli(slo: ServiceSlo): PrometheusSli {
  if (slo.sli.kind !== 'events') return slo.sli;
  if (slo.indicator === 'availability') {
    return { kind: 'ratio', ...GATEWAY_AVAILABILITY_SLI };
  }
  const { histogram, buckets } =
    GATEWAY_LATENCY_HISTOGRAMS[slo.sli.metric ?? 'gateway-overhead'];
  return { kind: 'histogram', histogram, buckets };
}

/**
 * The `le` matcher of a bucket bound. Prometheus 3 writes whole-number bounds as "1.0" where
 * clients write "1", so those match either way.
 */
export function bucketMatcher(boundSeconds: number): PromMatcher {
  const text = String(boundSeconds);
  return Number.isInteger(boundSeconds)
    ? { label: 'le', op: '=~', value: `${text}(\\\\.0)?` }
    : { label: 'le', op: '=', value: text };
}

/** The counter selectors an SLI reads, each scoped to the cell: what OpenSLO calls its metrics. */
export interface SliCounters {
  /** Good events, or a linear estimate between two buckets (`fraction` of the way up). */
  good:
    | { selector: PromSelector }
    | { lower?: PromSelector; upper: PromSelector; fraction: number };
  total: PromSelector;
}

/** A selector with the cell's matcher (and any other) first, and a suffix on its name. */
function scoped(
  selector: PromSelector,
  extra: PromMatcher[],
  metricSuffix = '',
): PromSelector {
  return {
    metric: `${selector.metric}${metricSuffix}`,
    matchers: [...extra, ...selector.matchers],
  };
}

function histogramCounters(
  sli: HistogramSli,
  thresholdMs: number,
  cellMatcher: PromMatcher,
): SliCounters {
  const selector = promSelector(sli.histogram);
  const bucket = (bound: number) =>
    scoped(selector, [cellMatcher, bucketMatcher(bound)], '_bucket');
  const total = scoped(selector, [cellMatcher], '_count');
  const threshold = thresholdMs / 1000;
  const bounds = sli.buckets;
  if (!bounds || bounds.includes(threshold)) {
    return { good: { selector: bucket(threshold) }, total };
  }
  const lower = [...bounds].reverse().find(b => b < threshold);
  const upper = bounds.find(b => b > threshold);
  // Above the last bound nothing is known between it and +Inf: count only what is under it.
  if (upper === undefined) return { good: { selector: bucket(lower!) }, total };
  const from = lower ?? 0;
  return {
    good: {
      ...(lower !== undefined ? { lower: bucket(lower) } : {}),
      upper: bucket(upper),
      fraction: (threshold - from) / (upper - from),
    },
    total,
  };
}

/** The SLI's good and total counters in one cell. */
export function sliCounters(slo: ServiceSlo, cell: string): SliCounters {
  const sli = prometheusSli(slo);
  const cellMatcher: PromMatcher = {
    label: 'cell',
    op: '=',
    value: promString(cell),
  };
  if (sli.kind === 'histogram') {
    if (slo.thresholdMs === undefined) {
      throw new Error(
        `SLO "${slo.name}": a histogram SLI needs the objective's thresholdMs`,
      );
    }
    return histogramCounters(sli, slo.thresholdMs, cellMatcher);
  }
  return {
    good: { selector: scoped(promSelector(sli.good), [cellMatcher]) },
    total: scoped(promSelector(sli.total), [cellMatcher]),
  };
}

/**
 * PromQL for an objective's good and total events in one cell over `window`, summed with
 * `over` (`rate` for ratios in rules, `increase` for counts). A latency threshold between two
 * bucket bounds is interpolated linearly between them, in rules and reads alike.
 */
export function sliEventQueries(
  slo: ServiceSlo,
  cell: string,
  window: string,
  over: 'rate' | 'increase',
): { good: string; total: string } {
  const { good, total } = sliCounters(slo, cell);
  const sum = (selector: PromSelector) =>
    `sum(${over}(${renderPromSelector(selector)}[${window}]))`;
  if ('selector' in good) {
    return { good: sum(good.selector), total: sum(total) };
  }
  const lower = good.lower ? sum(good.lower) : undefined;
  const upper = sum(good.upper);
  const fraction = Number(good.fraction.toFixed(6));
  return {
    good: lower
      ? `(${lower} + (${upper} - ${lower}) * ${fraction})`
      : `(${upper} * ${fraction})`,
    total: sum(total),
  };
}

/**
 * PromQL for the share of bad events of an objective in one cell over `window` (`5m`, `3d`):
 * 1 - good/total. Without traffic there is no sample (0/0), so no alert fires on silence.
 */
export function sliErrorRatioQuery(
  slo: ServiceSlo,
  cell: string,
  window: string,
): string {
  const { good, total } = sliEventQueries(slo, cell, window, 'rate');
  return `1 - (${good} / ${total})`;
}
