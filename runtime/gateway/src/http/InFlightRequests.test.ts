import net from 'node:net';
import type { SimulatorServer } from '@cellport/simulator';
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
});
