import {
  GATEWAY_AVAILABILITY_SLI,
  GATEWAY_SLI_REQUESTS_METRIC,
} from '@cellport/plugin-platform-common';
import type { SimulatorServer } from '@cellport/simulator';
import {
  postChat,
  startGateway,
  startSimulator,
} from '../__testUtils__/fixtures';

// Real servers: generous limits so a loaded CI machine does not fail them.
jest.setTimeout(30_000);

/** Each outcome's count in the availability SLI's counter, as a scrape shows it. */
async function sliCounts(url: string): Promise<Record<string, number>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const series = new RegExp(
    `^${GATEWAY_SLI_REQUESTS_METRIC}\\{outcome="([a-z]+)"\\} (\\d+)$`,
    'gm',
  );
  return Object.fromEntries(
    [...text.matchAll(series)].map(([, outcome, count]) => [
      outcome,
      Number(count),
    ]),
  );
}

// Prometheus' rate() and increase() never count a series' first sample: an error that
// creates its series would be missing from the error ratio. The SLI's counter has every
// outcome's series from the start, at 0.
describe("the availability SLI's request counter", () => {
  let simulator: SimulatorServer;
  beforeAll(async () => {
    simulator = await startSimulator();
  });
  afterAll(() => simulator.stop());

  it('is the counter the SLO rules read', () => {
    expect(GATEWAY_AVAILABILITY_SLI).toEqual({
      good: `${GATEWAY_SLI_REQUESTS_METRIC}{outcome!="error"}`,
      total: GATEWAY_SLI_REQUESTS_METRIC,
    });
  });

  it("has every outcome at 0 before any request, then counts authenticated tenants' requests by outcome", async () => {
    const { gateway, url } = await startGateway(simulator.url);
    try {
      expect(await sliCounts(url)).toEqual({
        success: 0,
        error: 0,
        rejected: 0,
        cancelled: 0,
      });
      const ask = (key?: string) =>
        postChat(
          url,
          { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] },
          { key },
        ).then(response => response.status);
      expect([await ask(), await ask()]).toEqual([200, 200]);
      // Every upstream down: the platform failed the request.
      simulator.faults.add({
        mode: 'outage',
        extraLatencyMs: 0,
        retryAfterSeconds: 1,
      });
      try {
        expect(await ask()).toBe(503);
      } finally {
        simulator.faults.clear();
      }
      // The caller's own fault: no messages.
      const invalid = await postChat(url, { model: 'gpt-4o-mini' });
      expect(invalid.status).toBe(400);
      // No tenant: in the request metrics under "unknown", never in the SLI (no event).
      expect(await ask('cp-not-a-key')).toBe(401);

      expect(await sliCounts(url)).toEqual({
        success: 2,
        error: 1,
        rejected: 1,
        cancelled: 0,
      });
    } finally {
      await gateway.stop();
    }
  });
});
