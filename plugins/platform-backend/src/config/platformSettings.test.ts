import { ConfigReader } from '@backstage/config';
import { readPlatformSettings } from './platformSettings';

describe('readPlatformSettings', () => {
  it('applies every default when nothing is configured', () => {
    const settings = readPlatformSettings(new ConfigReader({}));
    expect(settings.retention).toEqual({
      rawDays: 30,
      minuteRollupDays: 7,
      hourRollupDays: 400,
      purgeIntervalMinutes: 60,
    });
    expect(settings.nats.servers).toEqual(['nats://127.0.0.1:4222']);
    expect(settings.reconciler).toMatchObject({
      enabled: true,
      intervalSeconds: 30,
      gateways: {},
      apiKeys: [],
    });
    expect(settings.cost.gpuSampling.intervalMinutes).toBe(5);
    expect(settings.replay).toEqual({ maxDecisions: 5_000_000, maxRunning: 2 });
  });

  it('keeps what is configured and fills the rest of the section', () => {
    const settings = readPlatformSettings(
      new ConfigReader({
        platform: {
          retention: { rawDays: 3 },
          nats: { enabled: true, servers: 'nats://nats.cell:4222' },
        },
      }),
    );
    expect(settings.retention.rawDays).toBe(3);
    expect(settings.retention.hourRollupDays).toBe(400);
    expect(settings.nats).toMatchObject({
      enabled: true,
      servers: ['nats://nats.cell:4222'],
      durable: 'platform-backend',
    });
  });

  it('names every bad key and what is wrong with it', () => {
    expect(() =>
      readPlatformSettings(
        new ConfigReader({
          platform: {
            retention: { rawDays: 'thirty' },
            reconciler: { apiKeys: [{ tenant: 'northwind-retail' }] },
            replay: { maxRunning: 0 },
          },
        }),
      ),
    ).toThrow(
      'Invalid configuration: platform.retention.rawDays: Invalid input: expected number, received string; platform.reconciler.apiKeys[0].sha256: is required; platform.reconciler.apiKeys[0].prefix: is required; platform.replay.maxRunning: Too small: expected number to be >0',
    );
  });
});
