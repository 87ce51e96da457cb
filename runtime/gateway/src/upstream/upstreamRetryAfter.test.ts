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
    // Circuits that open at the first failure: the next caller meets them open.
    const { gateway, url } = await startGateway(simulator.url, {
      overrides: { breaker: { failureThreshold: 1, openMs: 10_000 } },
    });
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
      // Both circuits are open for the time asked: the next caller is refused without a call,
      // and told the same wait, not the 10 s the circuits open for without an ask.
      const again = await postChat(
        url,
        { model: 'auto', messages: [{ role: 'user', content: 'hi' }] },
        { key: KEYS.northwindAgent },
      );
      await again.arrayBuffer();
      expect(again.status).toBe(503);
      expect(simulator.stats.snapshot().requests).toBe(2);
      expect(Number(again.headers.get('retry-after'))).toBeGreaterThanOrEqual(
        119,
      );
    } finally {
      simulator.faults.clear();
      await gateway.stop();
    }
  });

  it('keeps an upstream that asked for time out of the route until then, once its failures open its circuit', async () => {
    const clock = { ms: Date.now() };
    const { gateway, url } = await startGateway(simulator.url, {
      overrides: { now: () => clock.ms },
    });
    simulator.faults.add({
      mode: 'rate-limit',
      model: 'eu-large-model',
      extraLatencyMs: 0,
      retryAfterSeconds: 120,
    });
    const ask = async () => {
      const response = await postChat(
        url,
        { model: 'auto', messages: [{ role: 'user', content: 'hi' }] },
        { key: KEYS.northwindAgent },
      );
      return { status: response.status, body: await response.json() };
    };
    try {
      // The agent prefers eu-large; eu-small is its fallback. Five refusals open eu-large's
      // circuit (one alone could be the request's own); then for the 120 s it asked, not 10.
      for (let i = 0; i < 10; i++) {
        expect(await ask()).toMatchObject({
          status: 200,
          body: { model: 'eu-small-model' },
        });
      }
      expect(simulator.stats.snapshot().byModel['eu-large-model']).toBe(5);
      simulator.faults.clear();
      clock.ms += 60_000;
      expect((await ask()).body.model).toBe('eu-small-model');
      clock.ms += 60_000;
      // The time asked is over: eu-large is probed, and serves again.
      expect((await ask()).body.model).toBe('eu-large-model');
      expect((await ask()).body.model).toBe('eu-large-model');
    } finally {
      simulator.faults.clear();
      await gateway.stop();
    }
  });

  it('lets no single 429 close a profile to the requests after it', async () => {
    // A request too large for the key's tokens per minute is refused 429 with Retry-After on
    // its own: the next request, another caller's (another key), is still served by it.
    const { gateway, url } = await startGateway(simulator.url);
    simulator.faults.add({
      mode: 'rate-limit',
      model: 'eu-large-model',
      extraLatencyMs: 0,
      retryAfterSeconds: 300,
      remaining: 1,
    });
    try {
      const refused = await postChat(url, {
        model: 'gpt-4o',
        messages: [{ role: 'user', content: 'far too large' }],
      });
      await refused.arrayBuffer();
      expect(refused.status).toBe(503);
      const served = await postChat(
        url,
        { model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] },
        { key: KEYS.northwindAgent },
      );
      expect((await served.json()).model).toBe('eu-large-model');
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
