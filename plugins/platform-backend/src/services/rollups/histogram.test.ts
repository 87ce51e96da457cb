import {
  LATENCY_THRESHOLD_MAX_MS,
  sloObjectiveSchema,
} from '@cellport/plugin-platform-common';
import {
  bucketIndex,
  countAtOrBelow,
  emptyHistogram,
  HISTOGRAM_BOUNDS_MS,
  percentile,
} from './histogram';

function histogramOf(samples: number[]) {
  const h = emptyHistogram();
  for (const s of samples) h[bucketIndex(s)]++;
  return h;
}

describe('histogram', () => {
  it('puts a latency in the bucket whose upper bound is the first at or above it', () => {
    expect(bucketIndex(0)).toBe(0);
    expect(bucketIndex(5)).toBe(0);
    expect(bucketIndex(5.1)).toBe(1);
    expect(bucketIndex(300)).toBe(HISTOGRAM_BOUNDS_MS.indexOf(300));
    expect(bucketIndex(1e9)).toBe(HISTOGRAM_BOUNDS_MS.length);
  });

  it('gives percentiles within the bucket that holds them', () => {
    // 100 samples: 90 at 40ms, 9 at 280ms, 1 at 2000ms.
    const h = histogramOf([
      ...new Array(90).fill(40),
      ...new Array(9).fill(280),
      2000,
    ]);
    expect(percentile(h, 0.5)).toBeGreaterThan(30);
    expect(percentile(h, 0.5)).toBeLessThanOrEqual(50);
    expect(percentile(h, 0.95)).toBeGreaterThan(250);
    expect(percentile(h, 0.95)).toBeLessThanOrEqual(300);
    expect(percentile(h, 1)).toBeLessThanOrEqual(2000);
    expect(percentile(emptyHistogram(), 0.95)).toBeNull();
  });

  it('measures every latency threshold an objective may have: none falls in the overflow bucket', () => {
    // A longer threshold would count requests faster than it as slow (the overflow bucket
    // counts as none good); the SLO schema refuses what the histograms cannot measure.
    expect(HISTOGRAM_BOUNDS_MS[HISTOGRAM_BOUNDS_MS.length - 1]).toBe(
      LATENCY_THRESHOLD_MAX_MS,
    );
    expect(
      sloObjectiveSchema.safeParse({
        name: 'slow-but-fine',
        indicator: 'latency',
        metric: 'upstream',
        thresholdMs: 120_000,
        target: 0.9,
      }).error?.issues[0],
    ).toMatchObject({ path: ['thresholdMs'] });
  });

  it('counts samples under a threshold exactly at bounds and interpolated between', () => {
    const h = histogramOf([10, 40, 280, 290, 350, 2000]);
    expect(countAtOrBelow(h, 300)).toBe(4);
    expect(countAtOrBelow(h, 50)).toBe(2);
    // 350 lies in (300, 400]: half of that bucket counts at 350.
    expect(countAtOrBelow(h, 350)).toBeCloseTo(4.5);
    expect(countAtOrBelow(histogramOf([1e6]), 1e9)).toBe(0);
  });
});
