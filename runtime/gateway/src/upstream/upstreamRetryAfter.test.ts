import type { SimulatorServer } from '@cellport/simulator';
import {
  KEYS,
  postChat,
  startGateway,
  startSimulator,
} from '../__testUtils__/fixtures';

// Real servers on a loaded machine: generous limits.
jest.setTimeout(30_000);

/**
 * When every upstream of a route refuses for now and says for how long (`Retry-After`), the
 * caller is told the soonest any of them will serve again, rather than a constant that sends
 * it back to rate-limited upstreams early.
 */
describe("an upstream 429's Retry-After", () => {
  let simulator: SimulatorServer;
  beforeAll(async () => {
    simulator = await startSimulator();
  });
  afterAll(() => simulator.stop());
  afterEach(() => simulator.stats.reset());

  it('reaches the caller when every upstream of its route is rate limited', async () => {
    const { gateway, url } = await startGateway(simulator.url);
    simulator.faults.add({
      mode: 'rate-limit',
      extraLatencyMs: 0,
      retryAfterSeconds: 120,
    });
    try {
      const response = await postChat(
        url,
        { model: 'auto', messages: [{ role: 'user', content: 'hi' }] },
        { key: KEYS.northwindAgent },
      );
      await response.arrayBuffer();
      // Both eu-large and eu-small were asked, and both said 429, retry after 120 s.
      expect(simulator.stats.snapshot().requests).toBe(2);
      expect(response.status).toBe(503);
      expect(
        Number(response.headers.get('retry-after')),
      ).toBeGreaterThanOrEqual(120);
    } finally {
      simulator.faults.clear();
      await gateway.stop();
    }
  });

  it.each([
    ['the soonest of them', 30, 30],
    ['5 s when one gave no word', undefined, 5],
  ])('reaches the caller as %s', async (_name, smallRetryAfter, expected) => {
    const { gateway, url } = await startGateway(simulator.url);
    simulator.faults.add({
      mode: 'rate-limit',
      model: 'eu-large-model',
      extraLatencyMs: 0,
      retryAfterSeconds: 120,
    });
    simulator.faults.add({
      mode: smallRetryAfter === undefined ? 'outage' : 'rate-limit',
      model: 'eu-small-model',
      extraLatencyMs: 0,
      // An outage (503) says nothing of when to come back.
      retryAfterSeconds: smallRetryAfter ?? 1,
    });
    try {
      const response = await postChat(
        url,
        { model: 'auto', messages: [{ role: 'user', content: 'hi' }] },
        { key: KEYS.northwindAgent },
      );
      await response.arrayBuffer();
      expect(simulator.stats.snapshot().requests).toBe(2);
      expect(response.status).toBe(503);
      expect(Number(response.headers.get('retry-after'))).toBe(expected);
    } finally {
      simulator.faults.clear();
      await gateway.stop();
    }
  });
});
