import { createServer, Server } from 'node:http';
import { AddressInfo, connect, Socket } from 'node:net';
import type { SimulatorServer } from '@cellport/simulator';
import {
  eventually,
  KEYS,
  RecordingEventSink,
  startGateway,
  startSimulator,
  testState,
} from './__testUtils__/fixtures';
import type { Gateway } from './createGateway';
import { rawConnection } from './__testUtils__/rawConnection';

// Real servers: generous limits so a loaded CI machine does not fail them. Node's own defaults
// (60 s for headers, checked every 30 s) would take far longer than this to close the socket.
jest.setTimeout(20_000);

/** What a connection saw until the server closed it. */
interface Closed {
  received: string;
  /** Bytes the client had written when the server closed the connection. */
  sent: number;
}

/**
 * Opens a raw connection, writes `preamble` at once, then `trickle` one byte per `everyMs`,
 * and resolves when the server closes the connection.
 */
function slowClient(
  url: string,
  preamble: string,
  trickle: string,
  everyMs: number,
): Promise<Closed> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket: Socket = connect(Number(port), hostname);
    let received = '';
    let sent = 0;
    let timer: NodeJS.Timeout | undefined;
    socket.on('data', data => {
      received += data.toString('latin1');
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearInterval(timer);
      resolve({ received, sent });
    });
    socket.on('connect', () => {
      socket.write(preamble);
      sent = preamble.length;
      timer = setInterval(() => {
        if (sent - preamble.length >= trickle.length) {
          clearInterval(timer);
          socket.destroy();
          reject(new Error('the client finished sending before being cut off'));
          return;
        }
        socket.write(trickle[sent - preamble.length]);
        sent += 1;
      }, everyMs);
    });
  });
}

describe('slow clients are disconnected at the configured timeouts', () => {
  let simulator: SimulatorServer;
  let gateway: Gateway;
  let url: string;
  let events: RecordingEventSink;

  beforeAll(async () => {
    simulator = await startSimulator();
    ({ gateway, url, events } = await startGateway(simulator.url, {
      config: {
        headersTimeoutMs: 300,
        requestTimeoutMs: 600,
        keepAliveTimeoutMs: 500,
      },
    }));
  });
  afterAll(async () => {
    await gateway.stop();
    await simulator.stop();
  });

  const body = JSON.stringify({
    model: 'gpt-4o-mini',
    messages: [{ role: 'user', content: 'hello' }],
    max_tokens: 8,
  });
  // Headers that would take 600 × 50 ms = 30 s to send in full.
  const headers = `POST /v1/chat/completions HTTP/1.1\r\nHost: gw\r\nAuthorization: Bearer ${
    KEYS.brightpath
  }\r\nX-Padding: ${'p'.repeat(600)}\r\nContent-Length: ${body.length}\r\n\r\n`;

  it('closes a connection that sends its headers one byte at a time (slowloris)', async () => {
    const closed = await slowClient(url, '', headers, 50);
    expect(closed.sent).toBeLessThan(headers.length);
    expect(closed.received).toMatch(/^HTTP\/1\.1 408 |^$/);
  });

  it('closes a connection that sends its body one byte at a time, and records it as the 408 it is', async () => {
    const before = events.usage().length;
    const closed = await slowClient(url, headers, body, 50);
    expect(closed.sent).toBeLessThan(headers.length + body.length);
    expect(closed.received).toMatch(/^HTTP\/1\.1 408 |^$/);
    // The caller did not go away: the gateway cut it off, and its SLOs and logs say so.
    await eventually(() => events.usage().length > before);
    expect(events.usage().slice(before)).toEqual([
      expect.objectContaining({
        status: 408,
        outcome: 'cancelled',
        errorClass: 'client-cancelled',
      }),
    ]);
  });

  it('closes a kept-alive connection whose next request comes one byte at a time', async () => {
    const closed = await slowClient(url, `${headers}${body}`, headers, 50);
    expect(closed.sent).toBeLessThan(2 * headers.length + body.length);
    expect(closed.received).toMatch(/^HTTP\/1\.1 200 /);
  });

  it('closes a kept-alive connection left idle for the keep-alive timeout', async () => {
    // Nothing is trickled: the connection sits idle after its answer until the server closes
    // the connection; without the configured timeout the test runs out of time (20 s).
    const closed = await slowClient(
      url,
      `${headers}${body}`,
      'x'.repeat(1_000),
      60_000,
    );
    expect(closed.received).toMatch(/^HTTP\/1\.1 200 /);
  });

  it('answers a body over the limit once, with 413, and closes the connection without reading the rest', async () => {
    const oversized = headers.replace(
      `Content-Length: ${body.length}`,
      `Content-Length: ${100 * 1024}`,
    );
    const closed = await slowClient(url, oversized, 'x'.repeat(1_000), 50);
    expect(closed.received).toMatch(/^HTTP\/1\.1 413 /);
    // One answer: not a 408 after it for the body that kept coming.
    expect(closed.received.match(/HTTP\/1\.1 /g)).toHaveLength(1);
  });

  it.each([
    ['within the limit', 32 * 1024, 415],
    // The size is checked first: a body too large is too large, compressed or not.
    ['over the limit', 100 * 1024, 413],
  ])(
    'answers a compressed body %s once, with %s, and closes the connection without reading the rest',
    async (_what, length, status) => {
      const compressed = headers.replace(
        `Content-Length: ${body.length}`,
        `Content-Length: ${length}\r\nContent-Encoding: gzip`,
      );
      const closed = await slowClient(url, compressed, 'x'.repeat(1_000), 50);
      const [head] = closed.received.split('\r\n\r\n');
      expect(head).toMatch(new RegExp(`^HTTP/1\\.1 ${status} `));
      expect(head).toMatch(/\r\nconnection: close(\r\n|$)/i);
      // One answer: not a 408 after it for the body that kept coming.
      expect(closed.received.match(/HTTP\/1\.1 /g)).toHaveLength(1);
    },
  );

  it.each([
    ['with a key that is not one', '/v1/chat/completions', 'not-a-key', 401],
    ['on a path the gateway does not serve', '/v1/nope', KEYS.brightpath, 404],
  ])(
    'closes the connection of a caller refused before its body was read (%s), the rest unread',
    async (_what, path, key, status) => {
      const client = await rawConnection(url);
      try {
        // 64 MiB declared, only its start sent: kept open, Node would read all the rest.
        client.socket.write(
          `POST ${path} HTTP/1.1\r\nHost: gw\r\nAuthorization: Bearer ${key}\r\nContent-Length: ${
            64 * 1024 * 1024
          }\r\n\r\n{"model":"`,
        );
        await eventually(() => client.seen.closed, 200);
        const [head] = client.seen.received.split('\r\n\r\n');
        expect(head).toMatch(new RegExp(`^HTTP/1\\.1 ${status} `));
        // Closed with its answer, not by the request timeout's 408 after it.
        expect(head).toMatch(/\r\nconnection: close(\r\n|$)/i);
        expect(client.seen.received.match(/HTTP\/1\.1 /g)).toHaveLength(1);
      } finally {
        client.socket.destroy();
      }
    },
  );

  it('lets a caller refused while it still uploads a body within the limit finish it and read its answer', async () => {
    // Python's http.client sends its whole body before it reads: a connection closed under it
    // is a broken pipe, not the 401.
    const client = await rawConnection(url);
    const padded = JSON.stringify({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'x'.repeat(32 * 1024) }],
    });
    try {
      client.socket.write(
        `POST /v1/chat/completions HTTP/1.1\r\nHost: gw\r\nAuthorization: Bearer not-a-key\r\nContent-Length: ${
          padded.length
        }\r\n\r\n${padded.slice(0, 10)}`,
      );
      await eventually(() => /\r\n\r\n\{/.test(client.seen.received), 200);
      expect(client.seen.received).toMatch(/^HTTP\/1\.1 401 /);
      expect(client.seen.received).not.toMatch(/\r\nconnection: close\r\n/i);
      // The rest of its body goes through, and the connection serves the next request.
      client.socket.write(`${padded.slice(10)}${headers}${body}`);
      await eventually(
        () => client.seen.received.includes('HTTP/1.1 200 '),
        200,
      );
      expect(client.seen.closed).toBe(false);
    } finally {
      client.socket.destroy();
    }
  });

  it('keeps the connection of a caller refused once its whole body came', async () => {
    const client = await rawConnection(url);
    const refused = `POST /v1/chat/completions HTTP/1.1\r\nHost: gw\r\nAuthorization: Bearer not-a-key\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
    try {
      client.socket.write(refused);
      await eventually(() => /\r\n\r\n\{/.test(client.seen.received), 200);
      client.socket.write(`${headers}${body}`);
      await eventually(
        () => client.seen.received.includes('HTTP/1.1 200 '),
        200,
      );
      expect(client.seen.received).toMatch(/^HTTP\/1\.1 401 /);
      expect(client.seen.received).not.toMatch(/\r\nconnection: close\r\n/i);
    } finally {
      client.socket.destroy();
    }
  });

  it('still serves a client that sends its request at once', async () => {
    const response = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${KEYS.brightpath}`,
        'content-type': 'application/json',
      },
      body,
    });
    expect(response.status).toBe(200);
  });
});

describe('a client that does not read its JSON answer', () => {
  const STALL_MS = 300;
  /** 2,048 embeddings of 512 dimensions: 14 MB, more than the sockets' buffers take. */
  const INPUTS = 2048;
  const vector = `[${new Array(512).fill('-0.0123456789').join(',')}]`;
  const answer = Buffer.from(
    `{"object":"list","data":[${Array.from(
      { length: INPUTS },
      (_, index) =>
        `{"object":"embedding","index":${index},"embedding":${vector}}`,
    ).join(
      ',',
    )}],"model":"m","usage":{"prompt_tokens":${INPUTS},"total_tokens":${INPUTS}}}`,
  );
  const body = JSON.stringify({
    model: 'text-embedding-3-small',
    input: new Array(INPUTS).fill('a'),
    dimensions: 512,
  });
  let upstream: Server;
  let gateway: Gateway;
  let url: string;

  beforeAll(async () => {
    upstream = createServer((req, res) => {
      req.resume();
      req.on('end', () =>
        res
          .writeHead(200, {
            'content-type': 'application/json',
            'content-length': answer.length,
          })
          .end(answer),
      );
    });
    await new Promise<void>(resolve =>
      upstream.listen(0, '127.0.0.1', resolve),
    );
    const upstreamUrl = `http://127.0.0.1:${
      (upstream.address() as AddressInfo).port
    }`;
    ({ gateway, url } = await startGateway(upstreamUrl, {
      state: testState(upstreamUrl),
      config: { clientStallTimeoutMs: STALL_MS },
    }));
  });
  afterAll(async () => {
    await gateway.stop();
    upstream.closeAllConnections();
    await new Promise(resolve => upstream.close(resolve));
  });

  it('is cut off after the stall timeout, as one that does not read its stream: its answer and connection are let go', async () => {
    const client = await rawConnection(url, true);
    try {
      client.socket.write(
        `POST /v1/embeddings HTTP/1.1\r\nHost: gw\r\nAuthorization: Bearer ${KEYS.northwind}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
      );
      await eventually(() => client.seen.received.startsWith('HTTP/1.1 200 '));
      // It reads no more, yet the gateway lets its request go (it held it for ever before).
      await eventually(() => gateway.deps.inFlight.api === 0, 200);
      // What the kernel had taken still comes, then the end of the connection.
      client.seen.stalled = false;
      client.socket.resume();
      await eventually(() => client.seen.closed, 200);
      expect(client.seen.bytes).toBeLessThan(answer.length);
    } finally {
      client.socket.destroy();
    }
  });
});
