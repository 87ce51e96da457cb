/**
 * A push that points a profile at another upstream, or removes it, starts its circuit afresh
 * (README: the failures were the old upstream's): an operator who fixes a broken endpoint gets
 * the profile served by the very next request, a removed profile is no longer charted, and
 * one added again under the same id starts closed though nothing else about it changed. A
 * gateway in process against two simulators, one of them down, breakers opening after two
 * failures and staying open a minute (`GenAiMetrics.test.ts` charts the circuits in force).
 */
import type { SimulatorServer } from '@cellport/simulator';
import {
  postChat,
  startGateway,
  startSimulator,
  testState,
} from '../__testUtils__/fixtures';
import { pushState } from '../__testUtils__/gatewayCalls';
import type { Gateway } from '../createGateway';

// Real servers: generous limits so a loaded CI machine does not fail them.
jest.setTimeout(60_000);

describe('circuit breakers across pushes', () => {
  let broken: SimulatorServer;
  let healthy: SimulatorServer;
  let gateway: Gateway;
  let url: string;
  beforeAll(async () => {
    broken = await startSimulator();
    healthy = await startSimulator();
  });
  beforeEach(async () => {
    broken.faults.add({
      mode: 'outage',
      extraLatencyMs: 0,
      retryAfterSeconds: 1,
    });
    ({ gateway, url } = await startGateway(broken.url, {
      overrides: { breaker: { failureThreshold: 2, openMs: 60_000 } },
    }));
  });
  afterEach(async () => {
    await gateway.stop();
    broken.faults.clear();
  });
  afterAll(async () => {
    await broken.stop();
    await healthy.stop();
  });

  /** Northwind asks eu-small by its id: the profile's one route. */
  const ask = async () => {
    const response = await postChat(url, {
      model: 'eu-small',
      messages: [{ role: 'user', content: 'hi' }],
      max_tokens: 4,
    });
    return { status: response.status, text: await response.text() };
  };
  const openEuSmall = async () => {
    for (let i = 0; i < 3; i++) expect((await ask()).status).toBe(503);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toContain(
      'cellport_gateway_circuit_state{model="eu-small",state="open"} 1',
    );
  };

  it('serves at once a profile a push points at a healthy upstream, though the old one had opened its circuit', async () => {
    await openEuSmall();
    const fixed = testState(broken.url, 'v-fixed');
    const profile = fixed.modelProfiles.find(p => p.id === 'eu-small')!;
    profile.endpoint = `${healthy.url}/v1`;
    profile.upstreamModel = 'eu-small-model-v2';
    expect((await pushState(url, fixed)).status).toBe(200);
    const served = await ask();
    expect({ status: served.status, text: served.text.slice(0, 160) }).toEqual({
      status: 200,
      text: expect.stringContaining('chat.completion'),
    });
  });

  it('stops charting the circuit of a profile a push removed, and one added again under that id starts closed', async () => {
    await openEuSmall();
    const removed = testState(broken.url, 'v-removed');
    removed.modelProfiles = removed.modelProfiles.filter(
      p => p.id !== 'eu-small',
    );
    removed.tenants[0].allowedModels = removed.tenants[0].allowedModels.filter(
      m => m !== 'eu-small',
    );
    removed.agents[0].fallbackChain = ['us-large'];
    expect((await pushState(url, removed)).status).toBe(200);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    // Its counters keep what it did (its attempts); no circuit of it is charted.
    expect(metrics).not.toContain(
      'cellport_gateway_circuit_state{model="eu-small"',
    );
    // The upstream is back, and the profile comes back unchanged: only a circuit kept from
    // before the removal would refuse it.
    broken.faults.clear();
    expect(
      (await pushState(url, testState(broken.url, 'v-readded'))).status,
    ).toBe(200);
    expect((await ask()).status).toBe(200);
  });
});
