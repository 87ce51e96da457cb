/**
 * A cached answer is charged nothing: no budget, no request of the tenant's per-minute limit,
 * and its UsageEvent says it was cached at no cost while its RoutingDecision names the profile
 * whose answer it was, so the portal's bills and charts add up. A gateway in process against
 * the simulator, with an RPM so low that a charged hit would be refused.
 */
import type { SimulatorServer } from '@cellport/simulator';
import type {
  RoutingDecision,
  UsageEvent,
} from '@cellport/plugin-platform-common';
import {
  eventually,
  KEYS,
  RecordingEventSink,
  startGateway,
  startSimulator,
  testState,
} from '../__testUtils__/fixtures';
import { askCached, budgetRemaining } from '../__testUtils__/gatewayCalls';
import type { Gateway } from '../createGateway';

// Real servers: generous limits so a loaded CI machine does not fail them.
jest.setTimeout(60_000);

describe('what a cached answer is charged', () => {
  let simulator: SimulatorServer;
  let gateway: Gateway;
  let events: RecordingEventSink;
  let url: string;

  beforeAll(async () => {
    simulator = await startSimulator();
    const state = testState(simulator.url);
    state.tenants.find(t => t.id === 'brightpath')!.limits = {
      requestsPerMinute: 2,
      tokensPerMinute: 100_000_000,
    };
    ({ gateway, url, events } = await startGateway(simulator.url, {
      state,
      config: {
        cache: { enabled: true, ttlSeconds: 60, maxBytes: 1024 * 1024 },
      },
    }));
  });
  afterAll(async () => {
    await gateway.stop();
    await simulator.stop();
  });

  it('charges a hit nothing: no budget, no RPM; its UsageEvent says cached with cost 0 and its decision names the profile', async () => {
    const body = {
      model: 'gpt-4o-mini',
      max_tokens: 50,
      messages: [{ role: 'user', content: 'charge probe' }],
    };
    expect((await askCached(url, KEYS.brightpath, body)).status).toBe(200);
    await eventually(() => events.usage().length === 1);
    const before = await budgetRemaining(url, 'brightpath');
    expect(before).toEqual(expect.any(Number));
    // RPM is 2: the miss took one; four hits must all be served.
    const hits: Array<[number, string | null]> = [];
    for (let i = 0; i < 4; i++) {
      const hit = await askCached(url, KEYS.brightpath, body);
      hits.push([hit.status, hit.cache]);
    }
    expect(hits).toEqual(Array(4).fill([200, 'hit']));
    await eventually(() => events.usage().length === 5);
    expect(await budgetRemaining(url, 'brightpath')).toBe(before);
    for (const usage of (events.usage() as UsageEvent[]).slice(1)) {
      expect(usage).toMatchObject({
        cached: true,
        costUsd: 0,
        modelProfile: 'us-small',
        status: 200,
        outcome: 'success',
      });
    }
    for (const decision of (events.decisions() as RoutingDecision[]).slice(1)) {
      expect(decision).toMatchObject({ chosen: 'us-small', fallbacks: [] });
    }
    // The second request the minute charges still fits the RPM of 2.
    const other = await askCached(url, KEYS.brightpath, {
      ...body,
      messages: [{ role: 'user', content: 'another question' }],
    });
    expect(other.status).toBe(200);
  });
});
