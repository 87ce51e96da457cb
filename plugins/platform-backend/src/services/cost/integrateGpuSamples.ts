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

/**
 * Integrates GPU samples over a range as a step function: a sample holds until the next one,
 * but for no longer than `maxSampleAgeMs`, so a sampler that stopped (or a cluster that went
 * unreachable) leaves a gap instead of repeating its last reading forever. Samples must be
 * sorted by time; one taken before the range counts for the part of it that it covers.
 */
export function integrateGpuSamples(
  samples: GpuSample[],
  range: TimeRange,
  maxSampleAgeMs: number,
): ObservedGpuTime {
  let gpuMs = 0;
  let observedMs = 0;
  samples.forEach((sample, i) => {
    const next = samples[i + 1]?.at ?? Infinity;
    const start = Math.max(sample.at, range.from);
    const end = Math.min(next, sample.at + maxSampleAgeMs, range.to);
    if (end <= start) return;
    observedMs += end - start;
    gpuMs += sample.gpus * (end - start);
  });
  return { gpuHours: gpuMs / 3_600_000, observedMs };
}
