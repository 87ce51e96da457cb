import { TimeRange } from '../rollups/timeRanges';
import {
  GpuInterval,
  GpuSample,
  observedGpuIntervals,
} from './integrateGpuSamples';

const HOUR_MS = 3_600_000;

/** Where a charged GPU-hour comes from. */
export type GpuTimeSource = 'observed' | 'applied';

export interface ChargedGpuInterval extends GpuInterval {
  source: GpuTimeSource;
}

/**
 * The GPU time a deployment is charged for over a range: what its cluster's pods were seen
 * holding, and, where no sample covers the time, the catalog's minimum replicas, but only
 * once its manifests were applied. Capacity that was only registered, never applied and
 * never seen, exists nowhere and costs nothing.
 *
 * @param appliedAt - first successful apply of the deployment; undefined when never applied
 */
export function chargeableGpuIntervals(options: {
  samples: GpuSample[];
  range: TimeRange;
  maxSampleAgeMs: number;
  appliedAt: number | undefined;
  catalogGpus: number;
}): ChargedGpuInterval[] {
  const { range, appliedAt, catalogGpus } = options;
  const observed = observedGpuIntervals(
    options.samples,
    range,
    options.maxSampleAgeMs,
  );
  const charged: ChargedGpuInterval[] = [];
  const fillGap = (from: number, to: number) => {
    if (appliedAt === undefined || catalogGpus <= 0) return;
    const start = Math.max(from, appliedAt);
    if (to > start)
      charged.push({ from: start, to, gpus: catalogGpus, source: 'applied' });
  };
  let cursor = range.from;
  for (const interval of observed) {
    fillGap(cursor, interval.from);
    charged.push({ ...interval, source: 'observed' });
    cursor = interval.to;
  }
  fillGap(cursor, range.to);
  return charged;
}

/**
 * GPU-hours per hour bucket, the first bucket starting at `from`: so that spend can be set
 * against the tokens served in the same hours.
 */
export function gpuHoursPerHour(
  intervals: GpuInterval[],
  from: number,
  buckets: number,
): number[] {
  const hours = new Array<number>(buckets).fill(0);
  for (const interval of intervals) {
    let start = interval.from;
    while (start < interval.to) {
      const index = Math.floor((start - from) / HOUR_MS);
      const bucketEnd = from + (index + 1) * HOUR_MS;
      const end = Math.min(interval.to, bucketEnd);
      if (index >= 0 && index < buckets)
        hours[index] += (interval.gpus * (end - start)) / HOUR_MS;
      start = end;
    }
  }
  return hours;
}
