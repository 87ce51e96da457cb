/**
 * A collector that is not there, or that takes connections and never answers, costs no
 * request and does not hang the stop: every request of a load that outlasts several batch
 * periods is served, the gateway stops on SIGTERM, and no more exports are held open than the
 * transport's eight. Gateway processes configured by OpenTelemetry's environment variables as
 * in production, with an export timeout long enough that waiting on it would show
 * (`tracing.test.ts` stops with a hanging collector after one request, and covers refusals).
 */
import { createServer, type AddressInfo, type Socket } from 'node:net';
import type { SimulatorServer } from '@cellport/simulator';
import { postChat, startSimulator, testState } from '../__testUtils__/fixtures';
import { freePort, TestProcess } from '../__testUtils__/processes';
import { startStateFileGateway } from '../__testUtils__/stateFileGateway';

// Real processes under load: generous limits so a loaded CI machine does not fail them.
jest.setTimeout(90_000);

/**
 * A bound on the stop that only a hang fails: the drain (1 s) and the last export (at most
 * 2 s) fit many times over, the export timeout (60 s) does not.
 */
const STOP_HANG_BOUND_MS = 20_000;

/** Whether the gateway is gone within the hang bound after SIGTERM. */
async function stopsOnSigterm(gateway: TestProcess): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<false>(resolve => {
    timer = setTimeout(() => resolve(false), STOP_HANG_BOUND_MS);
  });
  const stopped = gateway.kill('SIGTERM').then(() => true as const);
  try {
    return await Promise.race([stopped, hung]);
  } finally {
    clearTimeout(timer);
  }
}

/** `count` chat requests, `parallel` at a time: the statuses of those not answered 200. */
async function load(url: string, count: number, parallel: number) {
  const failed: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < count) {
        next += 1;
        const response = await postChat(url, {
          model: 'gpt-4o',
          max_tokens: 5,
          messages: [{ role: 'user', content: 'hi' }],
        });
        await response.text();
        if (response.status !== 200) failed.push(response.status);
      }
    }),
  );
  return failed;
}

describe('a collector that is not there or never answers', () => {
  let simulator: SimulatorServer;
  let gateway: (TestProcess & { url: string }) | undefined;
  beforeAll(async () => {
    simulator = await startSimulator();
  });
  afterEach(async () => {
    await gateway?.kill();
    gateway = undefined;
  });
  afterAll(() => simulator.stop());

  const startWithCollectorAt = async (collectorUrl: string) => {
    gateway = await startStateFileGateway(testState(simulator.url), {
      GATEWAY_DRAIN_TIMEOUT_MS: '1000',
      OTEL_EXPORTER_OTLP_ENDPOINT: collectorUrl,
      OTEL_EXPORTER_OTLP_TIMEOUT: '60000',
    });
    return gateway;
  };

  it('serves every request and stops when nothing listens at the collector address', async () => {
    const running = await startWithCollectorAt(
      `http://127.0.0.1:${await freePort()}`,
    );
    expect(await load(running.url, 300, 8)).toEqual([]);
    expect(await stopsOnSigterm(running)).toBe(true);
    expect(running.output()).toContain('gateway stopped');
  });

  it('serves every request, holds at most eight exports open and stops when the collector takes connections and never answers', async () => {
    const sockets = new Set<Socket>();
    const collector = createServer(socket => {
      sockets.add(socket);
      socket.pause();
    });
    await new Promise<void>(resolve =>
      collector.listen(0, '127.0.0.1', () => resolve()),
    );
    try {
      const running = await startWithCollectorAt(
        `http://127.0.0.1:${(collector.address() as AddressInfo).port}`,
      );
      // Over three batch periods, and over eight batches in flight.
      expect(await load(running.url, 1500, 16)).toEqual([]);
      expect(await stopsOnSigterm(running)).toBe(true);
      expect(running.output()).toContain('gateway stopped');
      expect(sockets.size).toBeLessThanOrEqual(8);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise(resolve => collector.close(resolve));
    }
  });
});
