import { createServer } from 'node:http';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import OpenAI from 'openai';
import { UpstreamHttp } from './UpstreamHttp';
import type { SimulatorServer } from '@cellport/simulator';
import {
  KEYS,
  startGateway,
  startSimulator,
  testState,
} from '../__testUtils__/fixtures';

// Real servers, Redis and NATS: generous limits so a loaded CI machine does not fail them.
jest.setTimeout(30_000);

describe('UpstreamHttp origin override (embedded default)', () => {
  let simulator: SimulatorServer;
  beforeAll(async () => {
    simulator = await startSimulator();
  });
  afterAll(() => simulator.stop());

  it("sends calls for the catalog's real endpoints to the simulator, keeping their paths", async () => {
    const state = testState(simulator.url);
    for (const profile of state.modelProfiles) {
      profile.endpoint =
        profile.provider === 'anthropic'
          ? 'https://api.anthropic.com/v1'
          : 'https://api.openai.com/v1';
    }
    const { gateway, url } = await startGateway(simulator.url, {
      state,
      config: { upstreamOriginOverride: simulator.url },
    });
    try {
      const client = new OpenAI({
        apiKey: KEYS.brightpath,
        baseURL: `${url}/v1`,
        maxRetries: 0,
      });
      for (const model of ['gpt-4o-mini', 'claude-haiku']) {
        const answer = await client.chat.completions.create({
          model,
          messages: [{ role: 'user', content: 'hello' }],
        });
        expect(answer.choices[0].message.content).toBeTruthy();
      }
      expect(simulator.stats.snapshot().byModel).toMatchObject({
        'us-small-model': 1,
        'claude-model': 1,
      });
    } finally {
      await gateway.stop();
    }
  });
});

describe('UpstreamHttp.postBuffered', () => {
  it('answers an endpoint that is not a URL with a failure of that upstream, not a throw', async () => {
    const http = new UpstreamHttp({
      headersTimeoutMs: 1000,
      bodyTimeoutMs: 1000,
    });
    try {
      await expect(
        http.postBuffered('not a url', {}, '{}', new AbortController().signal),
      ).resolves.toMatchObject({
        errorClass: 'upstream-unavailable',
        retriable: true,
      });
    } finally {
      await http.close();
    }
  });

  it('marks a call whose caller left before it was sent as unsent: the upstream owes nothing, nor does the caller', async () => {
    let received = 0;
    const upstream = createServer((_req, res) => {
      received += 1;
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
    await new Promise<void>(resolve =>
      upstream.listen(0, '127.0.0.1', () => resolve()),
    );
    const http = new UpstreamHttp({
      headersTimeoutMs: 1000,
      bodyTimeoutMs: 1000,
    });
    const left = new AbortController();
    left.abort();
    try {
      await expect(
        http.postBuffered(
          `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/v1`,
          {},
          '{}',
          left.signal,
        ),
      ).resolves.toMatchObject({
        errorClass: 'client-cancelled',
        unsent: true,
      });
      expect(received).toBe(0);
    } finally {
      await http.close();
      upstream.closeAllConnections();
      await new Promise(resolve => upstream.close(resolve));
    }
  });

  /** An upstream that sends its headers and part of a body, then cuts or stalls. */
  async function brokenUpstream(
    status: number,
    then: 'cut off' | 'stalled' | 'whole',
  ) {
    const server = createServer((_req, res) => {
      if (then === 'whole') {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end('{"error":{"message":"bad request: max_tokens"}}');
        return;
      }
      res.writeHead(status, {
        'content-type': 'application/json',
        'content-length': '1000',
      });
      res.write('{"error":{"message":"bad req');
      if (then === 'cut off') setTimeout(() => res.destroy(), 20);
    });
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    return {
      url: `http://127.0.0.1:${port}/v1/chat/completions`,
      close: () => {
        server.closeAllConnections();
        return new Promise(resolve => server.close(resolve));
      },
    };
  }

  it.each([
    [
      400,
      'whole',
      {
        errorClass: 'invalid-request',
        status: 400,
        retriable: false,
        message: 'upstream rejected the request: bad request: max_tokens',
      },
    ],
    [
      400,
      'cut off',
      { errorClass: 'invalid-request', status: 400, retriable: false },
    ],
    [
      429,
      'cut off',
      { errorClass: 'rate-limited', status: 429, retriable: true },
    ],
    [
      529,
      'whole',
      { errorClass: 'upstream-unavailable', status: 529, retriable: true },
    ],
    // After a 200 the upstream did the work: billed, and not for another upstream to redo.
    [
      200,
      'cut off',
      {
        errorClass: 'upstream-error',
        retriable: false,
        billed: true,
        upstreamFault: true,
      },
    ],
    [
      200,
      'stalled',
      {
        errorClass: 'upstream-timeout',
        retriable: false,
        billed: true,
        upstreamFault: true,
      },
    ],
  ] as const)(
    'classifies a %p answer whose body is %s',
    async (status, then, failure) => {
      const upstream = await brokenUpstream(status, then);
      const http = new UpstreamHttp({
        headersTimeoutMs: 1000,
        bodyTimeoutMs: 200,
      });
      try {
        await expect(
          http.postBuffered(
            upstream.url,
            {},
            '{}',
            new AbortController().signal,
          ),
        ).resolves.toMatchObject(failure);
      } finally {
        await http.close();
        await upstream.close();
      }
    },
  );

  it.each([
    [
      'postBuffered',
      200,
      {
        errorClass: 'upstream-timeout',
        status: 200,
        retriable: false,
        billed: true,
        upstreamFault: true,
      },
    ],
    // A refusal is classified by its status, whatever became of its body.
    [
      'postBuffered',
      500,
      { errorClass: 'upstream-error', status: 500, retriable: true },
    ],
    [
      'post',
      500,
      { errorClass: 'upstream-error', status: 500, retriable: true },
    ],
    [
      'postBuffered',
      400,
      { errorClass: 'invalid-request', status: 400, retriable: false },
    ],
    [
      'post',
      400,
      { errorClass: 'invalid-request', status: 400, retriable: false },
    ],
  ] as const)(
    '%s ends a %p answer whose body goes silent after its headers at the answer time, not the far longer idle timeout',
    async (method, status, failure) => {
      const upstream = await brokenUpstream(status, 'stalled');
      const http = new UpstreamHttp({
        headersTimeoutMs: 200,
        bodyTimeoutMs: 60_000,
      });
      try {
        await expect(
          withinSeconds(
            5,
            http[method](upstream.url, {}, '{}', new AbortController().signal),
          ),
        ).resolves.toMatchObject(failure);
      } finally {
        // The upstream first: a call still hung holds the agent's close up.
        await upstream.close();
        await http.close();
      }
    },
  );
});

/** `promise`, or 'hung' if it has not settled within `seconds` (far past any timeout used). */
function withinSeconds(
  seconds: number,
  promise: Promise<unknown>,
): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<'hung'>(resolve => {
      timer = setTimeout(() => resolve('hung'), seconds * 1000);
    }),
  ]).finally(() => clearTimeout(timer));
}

describe('UpstreamHttp.post (streams)', () => {
  /**
   * A TLS origin that accepts the connection and never answers the handshake, so a call waits
   * for its connection; or a plain one that reads a request and never answers it.
   */
  async function silentUpstream() {
    const requests: string[] = [];
    const connected: Array<() => void> = [];
    const server = createTcpServer(socket => {
      socket.on('data', chunk => requests.push(chunk.toString('latin1')));
      socket.on('error', () => {});
      connected.shift()?.();
    });
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    return {
      port,
      requests,
      connection: () => new Promise<void>(resolve => connected.push(resolve)),
      close: () => new Promise(resolve => server.close(resolve)),
    };
  }

  it('marks a stream whose caller left while it waited for a connection as unsent', async () => {
    const upstream = await silentUpstream();
    const http = new UpstreamHttp({
      headersTimeoutMs: 1000,
      bodyTimeoutMs: 5000,
    });
    const left = new AbortController();
    try {
      const connection = upstream.connection();
      const call = http.post(
        `https://127.0.0.1:${upstream.port}/v1/chat/completions`,
        {},
        '{"stream":true}',
        left.signal,
      );
      await connection;
      left.abort();
      await expect(call).resolves.toMatchObject({
        errorClass: 'client-cancelled',
        unsent: true,
      });
    } finally {
      await http.close();
      await upstream.close();
    }
  });

  it('does not mark a stream the upstream had received as unsent', async () => {
    const upstream = await silentUpstream();
    const http = new UpstreamHttp({
      headersTimeoutMs: 5000,
      bodyTimeoutMs: 5000,
    });
    const left = new AbortController();
    try {
      const call = http.post(
        `http://127.0.0.1:${upstream.port}/v1/chat/completions`,
        {},
        '{"stream":true}',
        left.signal,
      );
      while (!upstream.requests.join('').includes('{"stream":true}')) {
        await new Promise(resolve => setTimeout(resolve, 5));
      }
      left.abort();
      const failure = await call;
      expect(failure).toMatchObject({ errorClass: 'client-cancelled' });
      expect(failure).not.toHaveProperty('unsent');
    } finally {
      await http.close();
      await upstream.close();
    }
  });
});

describe('UpstreamHttp refusals', () => {
  /** An upstream that refuses with `status`, quoting the credentials it was sent. */
  async function quotingUpstream(status: number, location?: string) {
    const server = createServer((req, res) => {
      const quoted = `bad header: ${req.headers.authorization ?? ''} ${
        req.headers['x-api-key'] ?? ''
      }`;
      res.writeHead(status, {
        'content-type': 'application/json',
        ...(location ? { location } : {}),
      });
      res.end(
        JSON.stringify({ error: { message: `${'x'.repeat(200)}${quoted}` } }),
      );
    });
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    return {
      url: `http://127.0.0.1:${port}/v1/chat/completions`,
      close: () => {
        server.closeAllConnections();
        return new Promise(resolve => server.close(resolve));
      },
    };
  }

  const SECRET = 'UPSTREAM-SECRET-0123456789abcdef';

  it.each([
    ['postBuffered', { authorization: `Bearer ${SECRET}` }],
    ['post', { authorization: `Bearer ${SECRET}` }],
    ['postBuffered', { 'x-api-key': SECRET }],
    ['post', { 'x-api-key': SECRET }],
  ] as const)(
    "never passes the upstream's credentials on in its message (%s, %j)",
    async (method, headers) => {
      const upstream = await quotingUpstream(400);
      const http = new UpstreamHttp({
        headersTimeoutMs: 1000,
        bodyTimeoutMs: 1000,
      });
      try {
        const failure = await http[method](
          upstream.url,
          headers,
          '{}',
          new AbortController().signal,
        );
        expect(failure).toMatchObject({
          errorClass: 'invalid-request',
          status: 400,
        });
        const { message } = failure as { message: string };
        expect(message).toContain('bad header');
        // Not whole, and not the start of it cut off at the message's limit.
        expect(message).not.toContain(SECRET.slice(0, 8));
      } finally {
        await http.close();
        await upstream.close();
      }
    },
  );

  it.each([
    [302, 'https://elsewhere.test/'],
    [307, 'https://elsewhere.test/'],
    [405, undefined],
    [410, undefined],
  ])(
    "takes a %p for this upstream's failure, not the request's (another may serve it)",
    async (status, location) => {
      const upstream = await quotingUpstream(status, location);
      const http = new UpstreamHttp({
        headersTimeoutMs: 1000,
        bodyTimeoutMs: 1000,
      });
      try {
        for (const method of ['post', 'postBuffered'] as const) {
          await expect(
            http[method](upstream.url, {}, '{}', new AbortController().signal),
          ).resolves.toMatchObject({
            errorClass: 'upstream-error',
            status,
            retriable: true,
          });
        }
      } finally {
        await http.close();
        await upstream.close();
      }
    },
  );
});
