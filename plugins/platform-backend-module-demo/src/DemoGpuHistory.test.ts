import { GpuReplicaSample } from '@cellport/plugin-platform-node';
import { testPlatformEntities } from './__testUtils__/testPlatformEntities';
import { DemoGpuHistory } from './DemoGpuHistory';

const HOUR_MS = 3_600_000;

describe('DemoGpuHistory', () => {
  const now = Date.UTC(2026, 10, 11, 12, 30);

  /** The platform's side of the connection: what the sample store would have been given. */
  function recordingPlatform(gpuSampleMaxAgeMs: number) {
    const samples: GpuReplicaSample[] = [];
    return {
      samples,
      connection: {
        entities: async () => testPlatformEntities(),
        storeDemoEvents: async () => ({ stored: 0, duplicates: 0 }),
        hasDemoEvents: async () => false,
        recordGpuSamples: async (batch: GpuReplicaSample[]) => {
          samples.push(...batch);
        },
        gpuSampleMaxAgeMs,
      },
    };
  }

  it('covers every backfilled hour with samples between the minimum and maximum replicas', async () => {
    const platform = recordingPlatform(10 * 60_000);
    const recorded = await new DemoGpuHistory(
      platform.connection,
      () => now,
    ).record(2);
    // One deployment (the Llama: 2-3 replicas of 4 GPUs), every 5 minutes for 2 days.
    expect(recorded).toBe(2 * 24 * 12);
    expect(platform.samples).toHaveLength(recorded);
    const to = Date.UTC(2026, 10, 11, 12);
    expect(platform.samples[0].at).toBe(to - 48 * HOUR_MS);
    expect(platform.samples.every(s => s.at < to)).toBe(true);
    expect(
      platform.samples.every(
        s =>
          s.deployment === 'llama-3-1-70b-eu' &&
          s.cell === 'eu-west-shared-1' &&
          s.gpus === s.replicas * 4 &&
          s.replicas >= 2 &&
          s.replicas <= 3,
      ),
    ).toBe(true);
    // Nights run the minimum, the afternoon peak the maximum.
    const hourOf = (s: GpuReplicaSample) => new Date(s.at).getUTCHours();
    expect(
      platform.samples.filter(s => hourOf(s) === 0).every(s => s.gpus === 8),
    ).toBe(true);
    expect(
      platform.samples.filter(s => hourOf(s) === 12).every(s => s.gpus === 12),
    ).toBe(true);
  });

  it('samples often enough that no sample lapses before the next one', async () => {
    const platform = recordingPlatform(4 * 60_000);
    await new DemoGpuHistory(platform.connection, () => now).record(1);
    const gaps = platform.samples
      .slice(1)
      .map((s, i) => s.at - platform.samples[i].at);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(4 * 60_000);
  });
});
