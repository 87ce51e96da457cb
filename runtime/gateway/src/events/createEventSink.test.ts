import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { PlatformEvent } from '@cellport/plugin-platform-common';
import { testConfig } from '../__testUtils__/fixtures';
import { freePort } from '../__testUtils__/processes';
import { GatewayMetrics } from '../metrics/GatewayMetrics';
import { createEventSink } from './createEventSink';
import type { SpooledEventDelivery } from './SpooledEventDelivery';

jest.setTimeout(30_000);

/** One event of about `bytes` bytes once serialized. */
const bigEvent = (id: string, bytes: number) =>
  ({
    id,
    cell: 'c',
    type: 'usage',
    padding: 'x'.repeat(bytes),
  } as unknown as PlatformEvent);

describe('createEventSink', () => {
  it('counts and logs what the spool byte cap drops while the receiver is down', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const logger = pino(
      { level: 'info' },
      { write: (line: string) => lines.push(JSON.parse(line)) },
    );
    const metrics = new GatewayMetrics();
    const base = testConfig();
    const sink = (await createEventSink(
      {
        ...base,
        events: {
          ...base.events,
          transport: 'http',
          // Nothing listens there: every batch fails and the spool only grows.
          portalUrl: `http://127.0.0.1:${await freePort()}`,
          spoolDir: mkdtempSync(join(tmpdir(), 'cellport-spool-')),
          spoolMaxBytes: 1024 * 1024,
          segmentEvents: 1,
          flushIntervalMs: 60_000,
        },
      },
      logger,
      metrics,
    )) as SpooledEventDelivery;
    try {
      // Twelve segments of one 128 KiB event: 1.5 MiB against a 1 MiB cap.
      for (let i = 0; i < 12; i++) {
        await new Promise<void>(written =>
          sink.publish([bigEvent(`event-${i}`, 128 * 1024)], written),
        );
        await sink.flush();
      }
      const exported = await metrics.registry.metrics();
      const dropped = Number(
        /^cellport_gateway_events_dropped_total (\d+)$/m.exec(exported)?.[1],
      );
      expect(dropped).toBeGreaterThanOrEqual(4);
      const logged = lines.filter(
        line =>
          line.msg ===
          'event spool over its byte cap; dropped its oldest segments',
      );
      expect(logged.reduce((sum, line) => sum + Number(line.events), 0)).toBe(
        dropped,
      );
      expect(logged[0]).toMatchObject({
        level: 50,
        segments: expect.any(Number),
        bytes: expect.any(Number),
        oldest: expect.any(String),
      });
    } finally {
      await sink.close();
    }
  });
});
