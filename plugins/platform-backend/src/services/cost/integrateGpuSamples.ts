import { TimeRange } from '../rollups/timeRanges';

/** GPUs a deployment held from `at` on, until the next sample. */
export interface GpuSample {
  at: number;
  gpus: number;
}

export interface ObservedGpuTime {
  /** GPU-hours inside the range that samples account for. */
  gpuHours: number;
  /** Milliseconds of the range that samples account for. */
  observedMs: number;
}

/** A stretch of time in which a deployment held a constant number of GPUs. */
export interface GpuInterval {
  from: number;
  to: number;
  gpus: number;
}

/**
 * The stretches of a range that samples account for, as a step function: a sample holds until
 * the next one, but for no longer than `maxSampleAgeMs`, so a sampler that stopped (or a
 * cluster that went unreachable) leaves a gap instead of repeating its last reading forever.
 * Samples must be sorted by time; one taken before the range counts for the part it covers.
 */
export function observedGpuIntervals(
  samples: GpuSample[],
  range: TimeRange,
  maxSampleAgeMs: number,
): GpuInterval[] {
  const intervals: GpuInterval[] = [];
  samples.forEach((sample, i) => {
    const next = samples[i + 1]?.at ?? Infinity;
    const from = Math.max(sample.at, range.from);
    const to = Math.min(next, sample.at + maxSampleAgeMs, range.to);
    if (to > from) intervals.push({ from, to, gpus: sample.gpus });
  });
  return intervals;
}

/** GPU-hours and observed time of `observedGpuIntervals`. */
export function integrateGpuSamples(
  samples: GpuSample[],
  range: TimeRange,
  maxSampleAgeMs: number,
): ObservedGpuTime {
  let gpuMs = 0;
  let observedMs = 0;
  for (const { from, to, gpus } of observedGpuIntervals(
    samples,
    range,
    maxSampleAgeMs,
  )) {
    observedMs += to - from;
    gpuMs += gpus * (to - from);
  }
  return { gpuHours: gpuMs / 3_600_000, observedMs };
}
