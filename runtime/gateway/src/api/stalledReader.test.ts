import { createServer, Server, ServerResponse } from 'node:http';
import { AddressInfo, connect, Socket } from 'node:net';
import type { UsageEvent } from '@cellport/plugin-platform-common';
import {
  eventually,
  KEYS,
  RecordingEventSink,
  startGateway,
  testState,
} from '../__testUtils__/fixtures';
import type { Gateway } from '../createGateway';

// Real servers: generous limits so a loaded CI machine does not fail them.
jest.setTimeout(30_000);

const STALL_TIMEOUT_MS = 500;

/** One SSE event of about 64 KB of content. */
const bigChunk = `data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"${'x'.repeat(
  64 * 1024,
)}"},"finish_reason":null}]}\n\n`;

/** Streams big events for as long as its caller takes them, never ending on its own. */
function endlessStream(res: ServerResponse, closed: () => void): void {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  const pump = () => {
    while (!res.destroyed && res.write(bigChunk));
  };
  res.on('drain', pump);
  res.on('close', closed);
  pump();
}

describe('a client that stops reading its stream', () => {
  let upstream: Server;
  let upstreamClosed: number;
  let gateway: Gateway;
  let url: string;
  let events: RecordingEventSink;

  beforeAll(async () => {
    upstreamClosed = 0;
    upstream = createServer((req, res) => {
      req.resume();
      req.on('end', () =>
        endlessStream(res, () => {
          upstreamClosed += 1;
        }),
      );
    });
    await new Promise<void>(resolve =>
      upstream.listen(0, '127.0.0.1', resolve),
    );
    const upstreamUrl = `http://127.0.0.1:${
      (upstream.address() as AddressInfo).port
    }`;
    ({ gateway, url, events } = await startGateway(upstreamUrl, {
      state: testState(upstreamUrl),
      config: { clientStallTimeoutMs: STALL_TIMEOUT_MS },
    }));
  });
  afterAll(async () => {
    await gateway.stop();
    upstream.closeAllConnections();
    await new Promise(resolve => upstream.close(resolve));
  });

  it('is cut off after the stall timeout: its upstream stream is closed and the request ends, recorded as cancelled', async () => {
    const body = JSON.stringify({
      model: 'gpt-4o-mini',
      stream: true,
      messages: [{ role: 'user', content: 'hello' }],
    });
    const { hostname, port } = new URL(url);
    const socket: Socket = connect(Number(port), hostname);
    socket.on('error', () => undefined);
    await new Promise(resolve => socket.once('connect', resolve));
    socket.write(
      `POST /v1/chat/completions HTTP/1.1\r\nHost: gw\r\nAuthorization: Bearer ${KEYS.brightpath}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
    );
    // The first bytes of the answer, then nothing more is read: the socket's buffers fill up
    // and the gateway's writes wait for a reader that never comes.
    await new Promise(resolve => socket.once('data', resolve));
    socket.pause();
    try {
      await eventually(() => upstreamClosed === 1, 400);
      await eventually(() => events.usage().length === 1, 400);
      expect(events.usage()[0] as UsageEvent).toMatchObject({
        stream: true,
        outcome: 'cancelled',
        errorClass: 'client-cancelled',
      });
      expect(gateway.deps.inFlight.api).toBe(0);
    } finally {
      socket.destroy();
    }
  });
});
