import net from 'node:net';
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { SimulatorServer } from '@cellport/simulator';
import { InFlightRequests, Interruptible } from './InFlightRequests';
import type { UsageEvent } from '@cellport/plugin-platform-common';
import {
  eventually,
  KEYS,
  startGateway,
  startSimulator,
} from '../__testUtils__/fixtures';

jest.setTimeout(30_000);

const body = JSON.stringify({
  model: 'gpt-4o-mini',
  messages: [{ role: 'user', content: 'pipelined' }],
});
const streamBody = JSON.stringify({
  model: 'gpt-4o-mini',
  messages: [{ role: 'user', content: 'pipelined' }],
  stream: true,
});
const rawRequest =
  'POST /v1/chat/completions HTTP/1.1\r\nHost: gateway\r\n' +
  `Authorization: Bearer ${KEYS.northwind}\r\nContent-Type: application/json\r\n` +
  `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;

describe('InFlightRequests', () => {
  let simulator: SimulatorServer;
  beforeAll(async () => {
    simulator = await startSimulator();
  });
  afterAll(() => simulator.stop());

  it('stops counting the requests queued on a pipelined connection the client drops', async () => {
    const { gateway, url } = await startGateway(simulator.url);
    const inFlight = async () => {
      const text = await (await fetch(`${url}/metrics`)).text();
      return Number(
        /^cellport_gateway_in_flight_requests (\S+)$/m.exec(text)?.[1],
      );
    };
    // The first answer is slow, so the two behind it are queued when the client leaves.
    simulator.faults.add({
      mode: 'slow',
      extraLatencyMs: 500,
      retryAfterSeconds: 1,
      remaining: 1,
    });
    try {
      const socket = net.connect(Number(new URL(url).port), '127.0.0.1');
      await new Promise(resolve => socket.once('connect', resolve));
      socket.write(rawRequest.repeat(3));
      await eventually(async () => (await inFlight()) === 3);
      socket.destroy();
      // Before, the two queued requests were counted for good: the HPA saw load that was
      // not there, a drain waited its whole timeout, and no request was ever alone again.
      await eventually(async () => (await inFlight()) === 0);
      expect(gateway.deps.inFlight).toMatchObject({ all: 0, api: 0 });
    } finally {
      simulator.faults.clear();
      await gateway.stop();
    }
  });

  // Before: a response queued behind another has no connection yet and heard nothing of the
  // client leaving, so its upstream call ran to the end for nobody, and it was recorded as a
  // 503 `internal` failure (its share of buffered bytes was gone with the connection).
  it('cancels the requests queued on a pipelined connection the client drops, and records them as the caller leaving', async () => {
    const { gateway, url, events } = await startGateway(simulator.url);
    simulator.stats.reset();
    simulator.faults.add({
      mode: 'slow',
      extraLatencyMs: 2_000,
      retryAfterSeconds: 1,
    });
    try {
      const socket = net.connect(Number(new URL(url).port), '127.0.0.1');
      socket.on('error', () => {});
      await new Promise(resolve => socket.once('connect', resolve));
      // JSON requests and a stream, more than the ten listeners Node warns past.
      const streamed = rawRequest
        .replace(body, streamBody)
        .replace(/Content-Length: \d+/, `Content-Length: ${streamBody.length}`);
      const queued = 12;
      const warnings: string[] = [];
      const warn = (warning: Error) => warnings.push(warning.name);
      process.on('warning', warn);
      socket.write(
        rawRequest.repeat(2) + streamed + rawRequest.repeat(queued - 3),
      );
      await eventually(() => simulator.stats.snapshot().requests === queued);
      socket.destroy();
      await eventually(() => events.usage().length === queued);
      expect(
        (events.usage() as UsageEvent[]).map(usage => ({
          status: usage.status,
          outcome: usage.outcome,
        })),
      ).toEqual(Array(queued).fill({ status: 499, outcome: 'cancelled' }));
      await eventually(() => simulator.stats.snapshot().cancelled === queued);
      expect(simulator.stats.snapshot()).toMatchObject({
        requests: queued,
        completed: 0,
        cancelled: queued,
      });
      process.off('warning', warn);
      expect(warnings).toEqual([]);
    } finally {
      simulator.faults.clear();
      await gateway.stop();
    }
  });

  it('cuts short exactly the requests still held, whatever order they were released in', () => {
    const inFlight = new InFlightRequests();
    const cut: string[] = [];
    const request = (name: string): Interruptible => ({
      interrupt: () => {
        cut.push(name);
        return true;
      },
    });
    const [a, b, c, d] = ['a', 'b', 'c', 'd'].map(name =>
      inFlight.hold(request(name)),
    );
    inFlight.release(b);
    inFlight.release(d);
    inFlight.release(b); // twice: no effect
    const e = inFlight.hold(request('e'));
    inFlight.release(a);
    expect(inFlight.interruptAll()).toBe(2);
    expect(cut).toEqual(['c', 'e']);
    inFlight.release(c);
    inFlight.release(e);
    expect(inFlight.interruptAll()).toBe(0);
    expect(cut).toEqual(['c', 'e']);
  });

  it('lets released requests die young after a full collection under load (no chain of promoted entries)', async () => {
    // A structure whose released entries stay linked to later ones (a Set's rehashed tables)
    // keeps every later request alive through young-generation collections once one entry
    // reached the old generation. Measured in memory, not time: the old generation's growth.
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as (options?: { type: string }) => void;
    const oldSpace = () =>
      getHeapSpaceStatistics().find(space => space.space_name === 'old_space')!
        .space_used_size;
    const inFlight = new InFlightRequests();
    const request = (n: number) => ({
      payload: new Array(1000).fill(n),
      interrupt: () => true,
    });
    const held = Array.from({ length: 16 }, (_, n) =>
      inFlight.hold(request(n)),
    );
    gc(); // a full collection while requests are in flight
    const before = oldSpace();
    const requests = 2000;
    for (let n = 0; n < requests; n++) {
      held.push(inFlight.hold(request(n)));
      inFlight.release(held.shift()!);
      if (n % 50 === 0) gc({ type: 'minor' });
    }
    for (const entry of held.splice(0)) inFlight.release(entry);
    for (let k = 0; k < 5; k++) {
      gc({ type: 'minor' });
      await new Promise(resolve => setImmediate(resolve));
    }
    // The released requests' payloads alone are 16 MB; kept alive, they would all be here.
    expect(oldSpace() - before).toBeLessThan(4 * 1024 * 1024);
  });
});
