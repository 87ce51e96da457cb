/**
 * What Node's HTTP parser refuses before a request exists is answered in OpenAI's error shape,
 * with a status that says what was wrong, and the connection is closed; the gateway goes on
 * serving. Before, Node's own answers came with no body at all.
 */
import type { SimulatorServer } from '@cellport/simulator';
import {
  eventually,
  KEYS,
  postChat,
  startGateway,
  startSimulator,
} from '../__testUtils__/fixtures';
import { connect } from 'node:net';
import type { Gateway } from '../createGateway';

jest.setTimeout(30_000);

const request = (headers: string, body = '') =>
  `POST /v1/chat/completions HTTP/1.1\r\nHost: gw\r\nAuthorization: Bearer ${KEYS.northwind}\r\nContent-Type: application/json\r\n${headers}\r\n${body}`;

/** A connection that stays open for writing after the server's end (`allowHalfOpen`). */
async function halfOpenConnection(url: string) {
  const { hostname, port } = new URL(url);
  const socket = connect({
    port: Number(port),
    host: hostname,
    allowHalfOpen: true,
  });
  const seen = { received: '', ended: false, closed: false };
  socket.on('error', () => undefined);
  socket.on('data', (data: Buffer) => {
    seen.received += data.toString('latin1');
  });
  socket.on('end', () => {
    seen.ended = true;
  });
  socket.on('close', () => {
    seen.closed = true;
  });
  await new Promise(resolve => socket.once('connect', resolve));
  return { socket, seen };
}

describe("answers to what Node's HTTP parser refuses", () => {
  let simulator: SimulatorServer;
  let gateway: Gateway;
  let url: string;
  beforeAll(async () => {
    simulator = await startSimulator();
    ({ gateway, url } = await startGateway(simulator.url, {
      config: { headersTimeoutMs: 300, requestTimeoutMs: 600 },
    }));
  });
  afterAll(async () => {
    await gateway.stop();
    await simulator.stop();
  });

  /** `cellport_gateway_open_connections`, over a kept-alive connection of its own. */
  const openConnections = async () => {
    const text = await (await fetch(`${url}/metrics`)).text();
    return Number(/^cellport_gateway_open_connections (\S+)$/m.exec(text)?.[1]);
  };

  it.each([
    [
      'headers over 16 KB',
      431,
      'headers_too_large',
      request(
        `X-Padding: ${'p'.repeat(20 * 1024)}\r\nContent-Length: 2\r\n`,
        '{}',
      ),
    ],
    [
      'a Content-Length beside chunked framing',
      400,
      'malformed_request',
      request('Content-Length: 2\r\nTransfer-Encoding: chunked\r\n', '{}'),
    ],
    [
      'a chunk size that is not hexadecimal',
      400,
      'malformed_request',
      request('Transfer-Encoding: chunked\r\n', 'zz\r\n{}\r\n0\r\n\r\n'),
    ],
    [
      'a request line that is not HTTP',
      400,
      'malformed_request',
      'HELLO THERE\r\n\r\n',
    ],
    [
      'headers that never end',
      408,
      'request_timeout',
      'POST /v1/chat/completions HTTP/1.1\r\nHost: gw\r\n',
    ],
  ])(
    '%s: %i %s in the error shape, and the connection closed',
    async (_what, status, code, raw) => {
      // A client that keeps its side open after the answer, as HTTP allows: the gateway
      // must close the connection itself.
      const before = await openConnections();
      const { socket, seen } = await halfOpenConnection(url);
      socket.write(raw);
      await eventually(() => seen.ended);
      await eventually(async () => (await openConnections()) <= before);
      socket.destroy();
      const [head, body] = seen.received.split('\r\n\r\n');
      expect(head.slice(0, 13)).toBe(`HTTP/1.1 ${status} `);
      expect(head).toMatch(/\r\ncontent-type: application\/json/i);
      expect(JSON.parse(body)).toEqual({
        error: {
          message: expect.any(String),
          type: 'invalid_request_error',
          param: null,
          code,
        },
      });
      // Nothing of the request read back: the reason names a rule, not the bytes.
      expect(body).not.toContain('pppp');
      const served = await postChat(url, {
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'hi' }],
        max_tokens: 8,
      });
      expect(served.status).toBe(200);
      await served.text();
    },
  );
});
