import { createServer, IncomingMessage, Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { eventually } from '../__testUtils__/fixtures';
import { rawConnection } from '../__testUtils__/rawConnection';
import { GatewayResponse } from './GatewayResponse';
import { sendRaw } from './httpIo';

// Real sockets: generous limits so a loaded CI machine does not fail them.
jest.setTimeout(15_000);

const STALL_MS = 200;

/** Responses as the gateway server's: bound by a stall timeout, ended through an end gate. */
const Response = GatewayResponse.readWithin(STALL_MS);

/** Larger than what the loopback's socket buffers take at once. */
const BIG = Buffer.alloc(16 * 1024 * 1024, 'x');

type Handler = (req: IncomingMessage, res: GatewayResponse) => void;

describe('GatewayResponse', () => {
  let server: Server;
  let port: number;
  let handle: Handler;
  let sockets: Socket[] = [];

  beforeAll(async () => {
    server = createServer<typeof IncomingMessage, typeof GatewayResponse>(
      { ServerResponse: Response },
      (req, res) => handle(req, res),
    );
    await new Promise<void>(resolve =>
      server.listen(0, '127.0.0.1', () => resolve()),
    );
    port = (server.address() as AddressInfo).port;
  });
  afterEach(() => {
    sockets.forEach(socket => socket.destroy());
    sockets = [];
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise(resolve => server.close(resolve));
  });

  async function connection(stalled = false) {
    const client = await rawConnection(`http://127.0.0.1:${port}`, stalled);
    sockets.push(client.socket);
    return client;
  }

  /** Resolves when the next request's response closes, whole or cut off. */
  function nextResponse(answer: Handler): Promise<void> {
    return new Promise(resolve => {
      handle = (req, res) => {
        res.once('close', () => resolve());
        answer(req, res);
      };
    });
  }

  /** 'closed', or 'open' if it has not closed in `ms` (far past the stall timeout). */
  function closedWithin(ms: number, closed: Promise<void>) {
    let timer: NodeJS.Timeout | undefined;
    return Promise.race([
      closed.then(() => 'closed'),
      new Promise(resolve => {
        timer = setTimeout(() => resolve('open'), ms);
      }),
    ]).finally(() => clearTimeout(timer));
  }

  const request = (body: string, declared = body.length) =>
    `POST / HTTP/1.1\r\nHost: x\r\nContent-Length: ${declared}\r\n\r\n${body}`;

  describe('a client that does not read its answer', () => {
    it.each([
      ['at once', false],
      ['once its end gate lets it go', true],
    ])(
      'is cut off after the stall timeout when the answer is ended %s',
      async (_when, gated) => {
        const closed = nextResponse((_req, res) => {
          if (gated) {
            // Held as RequestLifecycle holds it until the request's events are written.
            let held: unknown[] = [];
            res.endGate = {
              holdEnd: args => {
                held = args;
                return true;
              },
            };
            sendRaw(res, 200, BIG);
            setTimeout(() => {
              res.endGate = undefined;
              res.end(...(held as []));
            }, 20);
          } else {
            sendRaw(res, 200, BIG);
          }
        });
        const client = await connection(true);
        client.socket.write(request('{}'));
        // The client reads nothing more, yet its response closes.
        expect(await closedWithin(10 * STALL_MS, closed)).toBe('closed');
        // The connection was closed with it: what the kernel held comes, then its end.
        client.seen.stalled = false;
        client.socket.resume();
        await eventually(() => client.seen.closed, 200);
        expect(client.seen.received).toMatch(/^HTTP\/1\.1 200 /);
        expect(client.seen.bytes).toBeLessThan(BIG.length);
      },
    );

    it('lets a client that reads slowly but steadily have its whole answer', async () => {
      // A server of its own with a longer stall timeout: on a loaded machine a process can
      // stop for a few hundred milliseconds, which reads as a stall at 200 ms though the
      // client reads on. Three stall timeouts pass while the answer is read, 25 ms a read.
      const steady = createServer<
        typeof IncomingMessage,
        typeof GatewayResponse
      >({ ServerResponse: GatewayResponse.readWithin(1_000) }, (_req, res) =>
        sendRaw(res, 200, BIG.subarray(0, 8 * 1024 * 1024)),
      );
      await new Promise<void>(resolve =>
        steady.listen(0, '127.0.0.1', () => resolve()),
      );
      try {
        const { port: steadyPort } = steady.address() as AddressInfo;
        const client = await rawConnection(`http://127.0.0.1:${steadyPort}`);
        sockets.push(client.socket);
        client.socket.on('data', () => {
          client.socket.pause();
          setTimeout(() => client.socket.resume(), 25);
        });
        client.socket.write(request('{}'));
        await eventually(() => client.seen.bytes > 8 * 1024 * 1024, 800);
        expect(client.seen.received).toMatch(/^HTTP\/1\.1 200 /);
        expect(client.seen.closed).toBe(false);
      } finally {
        steady.closeAllConnections();
        await new Promise(resolve => steady.close(resolve));
      }
    });

    it('arms no timer for an answer the socket took at once', async () => {
      const timers = jest.spyOn(global, 'setTimeout');
      let armed = -1;
      const closed = nextResponse((_req, res) => {
        timers.mockClear();
        sendRaw(res, 200, Buffer.from('{"ok":true}'));
        armed = timers.mock.calls.length;
      });
      try {
        const client = await connection();
        client.socket.write(request('{}'));
        await closed;
        expect(armed).toBe(0);
      } finally {
        timers.mockRestore();
      }
    });
  });
});
