import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { PlatformEvent } from '@cellport/plugin-platform-common';
import { testConfig } from '../__testUtils__/fixtures';
import { freePort } from '../__testUtils__/processes';
import type { GatewayConfig } from '../config/GatewayConfig';
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

/**
 * The sink the config makes, its metrics and its log lines; the portal it sends to is a port
 * nothing listens on, so every batch fails and the spool only grows.
 */
async function sinkWith(events: Partial<GatewayConfig['events']>) {
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
        portalUrl: `http://127.0.0.1:${await freePort()}`,
        spoolDir: mkdtempSync(join(tmpdir(), 'cellport-spool-')),
        flushIntervalMs: 60_000,
        ...events,
      },
    },
    logger,
    metrics,
  )) as SpooledEventDelivery;
  return { sink, metrics, lines };
}

describe('createEventSink', () => {
  it('counts every event the spool byte cap drops while the receiver is down, and logs them at most every ten seconds', async () => {
    const { sink, metrics, lines } = await sinkWith({
      spoolMaxBytes: 1024 * 1024,
      segmentEvents: 1,
    });
    let closed = false;
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
      // Dropping, the spool is near full by its cap: over the 0.8 its alert fires at.
      const gauge = (name: string) =>
        Number(new RegExp(`^${name} ([\\d.e+-]+)$`, 'm').exec(exported)?.[1]);
      expect(gauge('cellport_gateway_spool_fill_ratio')).toBeGreaterThan(0.8);
      expect(gauge('cellport_gateway_spool_fill_ratio')).toBeLessThanOrEqual(1);
      const logged = lines.filter(line =>
        String(line.msg).startsWith('event spool segments dropped'),
      );
      // Drops at every seal, one line: the first; the rest wait for ten seconds on, or the stop.
      expect(logged).toHaveLength(1);
      expect(Number(logged[0].events)).toBeLessThan(dropped);
      await sink.close();
      closed = true;
      const all = lines.filter(line =>
        String(line.msg).startsWith('event spool segments dropped'),
      );
      expect(all).toHaveLength(2);
      expect(all.reduce((sum, line) => sum + Number(line.events), 0)).toBe(
        dropped,
      );
      expect(logged[0]).toMatchObject({
        level: 50,
        segments: expect.any(Number),
        bytes: expect.any(Number),
        oldest: expect.any(String),
        reason: 'byte-cap',
      });
    } finally {
      if (!closed) await sink.close();
    }
  });

  it('counts every event it drops while the spool cannot be written, and logs them at most every ten seconds', async () => {
    const { sink, metrics, lines } = await sinkWith({});
    // A full disk, injected where the spool writes: every write fails.
    (sink as unknown as { spool: { write(): void } }).spool.write = () => {
      throw Object.assign(new Error('ENOSPC: no space left on device'), {
        code: 'ENOSPC',
      });
    };
    try {
      // 70 events of just under 1 MiB against the 64 MiB held in memory: the 6 oldest go.
      for (let i = 0; i < 70; i++) {
        await new Promise<void>(written =>
          sink.publish([bigEvent(`event-${i}`, 1024 * 1024 - 100)], written),
        );
      }
      const exported = await metrics.registry.metrics();
      expect(exported).toMatch(/^cellport_gateway_events_dropped_total 6$/m);
      const logged = lines.filter(line =>
        String(line.msg).startsWith('event spool cannot be written'),
      );
      // Six drops, one line: the first; the rest wait for the next line ten seconds on.
      expect(logged).toHaveLength(1);
      expect(logged[0]).toMatchObject({ level: 50, events: 1 });
    } finally {
      (sink as unknown as { spool: { write(): void } }).spool.write = () => {};
      await sink.close();
    }
  });
});
