/**
 * A spool at its byte cap drops its oldest segments; in a long portal outage a flood of
 * refused requests would push out the billing events of the requests served before it. While
 * the spool holds over half its byte cap, events of refused requests that cost nothing are not spooled
 * (Prometheus counts them), so every served request's UsageEvent still reaches the portal.
 */
import type { SimulatorServer } from '@cellport/simulator';
import {
  eventually,
  EventReceiver,
  startSimulator,
  testState,
} from '../__testUtils__/fixtures';
import {
  chatOnce,
  GatewayProcesses,
  spooledGatewayWork,
  spoolSegments,
} from '../__testUtils__/spooledGateway';

// A gateway process and some two thousand requests.
jest.setTimeout(60_000);

/** Northwind's requests a minute: every request after these is refused with 429. */
const SERVED = 30;
/** More refusals than the smallest byte cap (1 MiB) holds the events of. */
const REFUSED = 2_000;

describe('a flood of refused requests while the portal is down', () => {
  let simulator: SimulatorServer;
  const portal = new EventReceiver();
  const gateways = new GatewayProcesses();
  beforeAll(async () => {
    simulator = await startSimulator();
  });
  afterAll(async () => {
    await gateways.killAll();
    await portal.stop();
    await simulator.stop();
  });

  it('keeps the UsageEvents of served requests in a spool at its byte cap, not spooling the refusals', async () => {
    const state = testState(simulator.url);
    state.tenants[0].limits = {
      requestsPerMinute: SERVED,
      tokensPerMinute: 100_000_000,
    };
    const work = spooledGatewayWork(state);
    // Down from the start; it comes back on the same port.
    await portal.start();
    await portal.stop();
    const gateway = await gateways.start(
      work.env(`http://127.0.0.1:${portal.port}`, {
        GATEWAY_SPOOL_MAX_BYTES: String(1024 * 1024),
      }),
    );
    const minute = () => Math.floor(Date.now() / 60_000);
    const firstMinute = minute();
    const served: string[] = [];
    for (let i = 0; i < SERVED; i++) {
      const { status, id } = await chatOnce(gateway.url, i);
      if (status === 200) served.push(id);
    }
    expect(served).toHaveLength(SERVED);

    // The limit is a calendar minute's: a minute that begins during the flood serves up to
    // SERVED more, whose UsageEvents must reach the portal as well.
    let next = SERVED;
    const refusals: number[] = [];
    const caller = async () => {
      while (next < SERVED + REFUSED) {
        const { status, id } = await chatOnce(gateway.url, next++);
        if (status === 200) served.push(id);
        else refusals.push(status);
      }
    };
    await Promise.all(Array.from({ length: 16 }, caller));
    expect(refusals.filter(status => status !== 429)).toEqual([]);
    // All refused unless a minute began since the first request.
    const newMinuteServes = minute() === firstMinute ? 0 : SERVED;
    expect(refusals.length).toBeGreaterThanOrEqual(REFUSED - newMinuteServes);
    const metrics = await (await fetch(`${gateway.url}/metrics`)).text();
    expect(
      Number(/^cellport_gateway_events_shed_total (\d+)/m.exec(metrics)?.[1]),
    ).toBeGreaterThan(0);

    await portal.start();
    await eventually(() => spoolSegments(work.spoolDir).length === 0, 1_200);
    expect(served.filter(id => !portal.received.has(`${id}-us`))).toEqual([]);
  });
});
