import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { SimulatorServer } from '@cellport/simulator';
import {
  EventReceiver,
  eventually,
  postChat,
  startGateway,
  startSimulator,
} from '../__testUtils__/fixtures';

// Real servers: generous limits so a loaded CI machine does not fail them.
jest.setTimeout(30_000);

/** deploy/cells holds the renderer's output; its drift test keeps it equal to the renderer. */
const cellsDir = path.resolve(__dirname, '../../../../deploy/cells');

/**
 * Every gateway metric the rendered cell directories name: HPA metrics, adapter rules, SLO
 * rules and the gateway's alerts.
 */
function referencedGatewayMetrics(): Map<string, string> {
  const references = new Map<string, string>();
  const files = fs
    .readdirSync(cellsDir, { recursive: true })
    .map(f => path.join(cellsDir, String(f)))
    .filter(f => f.endsWith('.yaml') && fs.statSync(f).isFile());
  for (const file of files) {
    const text = fs.readFileSync(file, 'utf8');
    for (const [name] of text.matchAll(/\bcellport_gateway_[a-z0-9_]+/g)) {
      references.set(name, path.relative(cellsDir, file));
    }
  }
  return references;
}

/**
 * The series names in a Prometheus text exposition, and those its `# TYPE` lines declare: a
 * labelled counter or histogram has no sample before its first request, yet its series exist
 * (the SLO rules name the request counters and latency histograms).
 */
function exposedNames(text: string): Set<string> {
  const lines = text.split('\n').filter(Boolean);
  const declared = lines.flatMap(line => {
    const [, name, type] = /^# TYPE (\S+) (\S+)$/.exec(line) ?? [];
    if (!name) return [];
    return type === 'histogram'
      ? [`${name}_bucket`, `${name}_count`, `${name}_sum`]
      : [name];
  });
  return new Set([
    ...declared,
    ...lines
      .filter(line => !line.startsWith('#'))
      .map(line => line.split(/[{ ]/)[0]),
  ]);
}

describe('metrics the rendered manifests scale on', () => {
  let simulator: SimulatorServer;
  beforeAll(async () => {
    simulator = await startSimulator();
  });
  afterAll(() => simulator.stop());

  it('all exist in a real gateway /metrics, with events on as in every cell', async () => {
    const references = referencedGatewayMetrics();
    // The HPA's metric, in the HPA and in the adapter rule that serves it; the SLI counter
    // and the spool's fill, in the rules.
    expect([...references.keys()]).toEqual(
      expect.arrayContaining([
        'cellport_gateway_in_flight_requests',
        'cellport_gateway_sli_requests_total',
        'cellport_gateway_spool_fill_ratio',
        'cellport_gateway_events_dropped_total',
      ]),
    );
    expect(
      [...references.values()].some(f => f.endsWith('prometheus-adapter.yaml')),
    ).toBe(true);
    const portal = new EventReceiver();
    const { gateway, url } = await startGateway(simulator.url, {
      config: {
        events: {
          transport: 'http',
          portalUrl: await portal.start(),
          spoolDir: fs.mkdtempSync(path.join(os.tmpdir(), 'cellport-spool-')),
          flushIntervalMs: 20,
          portalTimeoutMs: 10_000,
          segmentEvents: 1000,
        },
      },
      realEvents: true,
    });
    try {
      const exposed = exposedNames(
        await (await fetch(`${url}/metrics`)).text(),
      );
      const missing = [...references]
        .filter(([name]) => !exposed.has(name))
        .map(([name, file]) => `${name} (${file})`);
      expect(missing).toEqual([]);
    } finally {
      await gateway.stop();
      await portal.stop();
    }
  });

  it('counts API requests in flight, streams included, and not the scrape itself', async () => {
    const { gateway, url } = await startGateway(simulator.url);
    const inFlight = async () => {
      const text = await (await fetch(`${url}/metrics`)).text();
      return Number(
        /^cellport_gateway_in_flight_requests (\d+)$/m.exec(text)?.[1],
      );
    };
    simulator.faults.add({
      mode: 'slow',
      extraLatencyMs: 60_000,
      retryAfterSeconds: 1,
    });
    const abort = new AbortController();
    try {
      expect(await inFlight()).toBe(0);
      const requests = Array.from({ length: 3 }, () =>
        postChat(
          url,
          {
            model: 'gpt-4o',
            messages: [{ role: 'user', content: 'take your time' }],
            stream: true,
          },
          { signal: abort.signal },
        ).catch(() => undefined),
      );
      await eventually(() => simulator.stats.snapshot().requests === 3);
      expect(await inFlight()).toBe(3);
      abort.abort();
      await Promise.all(requests);
      await eventually(async () => (await inFlight()) === 0);
    } finally {
      abort.abort();
      simulator.faults.clear();
      await gateway.stop();
    }
  });
});
