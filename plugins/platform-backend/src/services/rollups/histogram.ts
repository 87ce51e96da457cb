/**
 * Fixed-bucket latency histograms. Every rollup row carries one per latency metric, so
 * percentiles and "share under a threshold" over any range are sums of rollup rows, never scans
 * of raw events. The bounds include every threshold of the reference SLOs (50, 200, 300, 900,
 * 1200 ms) so those SLIs are exact; other thresholds are interpolated within their bucket.
 */

/** Upper bounds (inclusive) of the buckets in milliseconds; a last bucket holds the rest. */
export const HISTOGRAM_BOUNDS_MS = [
  5, 10, 20, 30, 50, 75, 100, 150, 200, 250, 300, 400, 500, 750, 900, 1000,
  1200, 1500, 2000, 2500, 3000, 5000, 10000, 30000, 60000,
] as const;

export const HISTOGRAM_BUCKET_COUNT = HISTOGRAM_BOUNDS_MS.length + 1;

/** The latencies the gateway reports per request, as rollup column prefixes name them. */
export const HISTOGRAM_METRICS = [
  'overhead',
  'upstream',
  'ttft',
  'router',
] as const;
export type HistogramMetric = (typeof HISTOGRAM_METRICS)[number];

/** Counts per bucket, `HISTOGRAM_BUCKET_COUNT` long. */
export type Histogram = number[];

export function emptyHistogram(): Histogram {
  return new Array(HISTOGRAM_BUCKET_COUNT).fill(0);
}

/** Index of the bucket a latency falls in. */
export function bucketIndex(ms: number): number {
  // Linear scan: 25 bounds, and most latencies land in the first dozen.
  for (let i = 0; i < HISTOGRAM_BOUNDS_MS.length; i++) {
    if (ms <= HISTOGRAM_BOUNDS_MS[i]) return i;
  }
  return HISTOGRAM_BOUNDS_MS.length;
}

export function histogramColumn(
  metric: HistogramMetric,
  index: number,
): string {
  return `h_${metric}_${index}`;
}

export function addHistograms(into: Histogram, other: Histogram): Histogram {
  for (let i = 0; i < HISTOGRAM_BUCKET_COUNT; i++) into[i] += other[i];
  return into;
}

export function histogramCount(histogram: Histogram): number {
  return histogram.reduce((sum, n) => sum + n, 0);
}

function lowerBound(index: number): number {
  return index === 0 ? 0 : HISTOGRAM_BOUNDS_MS[index - 1];
}

/**
 * The latency under which a share `q` (0–1) of samples fall, interpolated linearly within
 * the bucket that holds it. Samples above the last bound report that bound; no samples, null.
 */
export function percentile(histogram: Histogram, q: number): number | null {
  const total = histogramCount(histogram);
  if (total === 0) return null;
  const rank = q * total;
  let seen = 0;
  for (let i = 0; i < HISTOGRAM_BUCKET_COUNT; i++) {
    const n = histogram[i];
    if (n > 0 && seen + n >= rank) {
      if (i === HISTOGRAM_BOUNDS_MS.length) return lowerBound(i);
      const lower = lowerBound(i);
      const upper = HISTOGRAM_BOUNDS_MS[i];
      return lower + ((rank - seen) / n) * (upper - lower);
    }
    seen += n;
  }
  return lowerBound(HISTOGRAM_BOUNDS_MS.length);
}

/**
 * How many samples were at or under `thresholdMs`: exact when the threshold is a bound,
 * otherwise the containing bucket is split linearly.
 */
export function countAtOrBelow(
  histogram: Histogram,
  thresholdMs: number,
): number {
  let count = 0;
  for (let i = 0; i < HISTOGRAM_BUCKET_COUNT; i++) {
    const lower = lowerBound(i);
    if (i === HISTOGRAM_BOUNDS_MS.length) {
      // Nothing is known about the spread of the overflow bucket: count none of it as good.
      break;
    }
    const upper = HISTOGRAM_BOUNDS_MS[i];
    if (upper <= thresholdMs) {
      count += histogram[i];
    } else {
      if (thresholdMs > lower) {
        count += (histogram[i] * (thresholdMs - lower)) / (upper - lower);
      }
      break;
    }
  }
  return count;
}
