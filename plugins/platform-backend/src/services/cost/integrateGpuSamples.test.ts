import { integrateGpuSamples } from './integrateGpuSamples';

const H = 3_600_000;
const range = { from: 10 * H, to: 20 * H };

describe('integrateGpuSamples', () => {
  it('holds each sample until the next one, inside the range only', () => {
    // 8 GPUs from before the range until 14h, then 16 until the range ends.
    const samples = [
      { at: 9 * H, gpus: 8 },
      { at: 14 * H, gpus: 16 },
    ];
    expect(integrateGpuSamples(samples, range, 24 * H)).toEqual({
      gpuHours: 4 * 8 + 6 * 16,
      observedMs: 10 * H,
    });
  });

  it('leaves a gap where sampling stopped, instead of repeating the last reading', () => {
    const samples = [
      { at: 11 * H, gpus: 4 },
      { at: 12 * H, gpus: 4 },
      // Nothing between 12h30 and 18h: the sampler was down.
      { at: 18 * H, gpus: 0 },
    ];
    expect(integrateGpuSamples(samples, range, H / 2)).toEqual({
      gpuHours: 0.5 * 4 + 0.5 * 4,
      observedMs: 1.5 * H,
    });
  });

  it('counts nothing without samples, or with samples outside the range', () => {
    expect(integrateGpuSamples([], range, H)).toEqual({
      gpuHours: 0,
      observedMs: 0,
    });
    expect(
      integrateGpuSamples([{ at: 2 * H, gpus: 8 }], range, H).observedMs,
    ).toBe(0);
    expect(
      integrateGpuSamples([{ at: 21 * H, gpus: 8 }], range, H).observedMs,
    ).toBe(0);
  });
});
