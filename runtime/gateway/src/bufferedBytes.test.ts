import type { SimulatorServer } from '@cellport/simulator';
import {
  eventually,
  KEYS,
  postChat,
  RecordingEventSink,
  startGateway,
  startSimulator,
  testState,
} from './__testUtils__/fixtures';
import { rawConnection } from './__testUtils__/rawConnection';
import { RawUpstream } from './__testUtils__/RawUpstream';
import type { Gateway } from './createGateway';

/*
 * What the requests of one replica hold in memory together: each body and each JSON answer
 * has a cap of its own, but a burst of large ones at once would run the replica out of memory
 * and lose every tenant's requests on it. Above GATEWAY_MAX_BUFFERED_BYTES, a request is
 * refused with a 503 to retry, and the bytes of the ones served come back.
 */

// Real servers: generous limits so a loaded CI machine does not fail them.
jest.setTimeout(60_000);

const MiB = 1024 * 1024;

async function bufferedBytes(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return Number(/^cellport_gateway_buffered_bytes (\S+)$/m.exec(text)?.[1]);
}

/** A chat completion of about `bytes` bytes, with its usage. */
function largeAnswer(bytes: number): Buffer {
  return Buffer.from(
    JSON.stringify({
      id: 'chatcmpl-large',
      object: 'chat.completion',
      created: 1,
      model: 'upstream-model',
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: 'x'.repeat(bytes) },
          finish_reason: 'stop',
        },
      ],
      usage: { prompt_tokens: 5, completion_tokens: 7, total_tokens: 12 },
    }),
  );
}

describe('JSON answers that arrive together', () => {
  let upstream: RawUpstream;
  let gateway: Gateway;
  let url: string;
  let sink: RecordingEventSink;
  /** Lets the answers the upstream holds back end. */
  let finish: () => void;
  let finished: Promise<void>;

  beforeAll(async () => {
    upstream = new RawUpstream();
    const upstreamUrl = await upstream.start();
    ({
      gateway,
      url,
      events: sink,
    } = await startGateway(upstreamUrl, {
      state: testState(upstreamUrl),
      config: { upstreamMaxAnswerBytes: 8 * MiB, maxBufferedBytes: 12 * MiB },
    }));
  });
  afterAll(async () => {
    await gateway.stop();
    await upstream.stop();
  });

  it('go through as they fit; the others get a 503 to retry, and every byte comes back', async () => {
    finished = new Promise(resolve => {
      finish = resolve;
    });
    const answer = largeAnswer(5 * MiB);
    // Each answer's length is declared, all its bytes but the last sent, the last held back:
    // four 5 MiB answers in flight at once, where the replica has room for two.
    upstream.answer = (_req, res) => {
      res.writeHead(200, {
        'content-type': 'application/json',
        'content-length': answer.length,
      });
      res.write(answer.subarray(0, -1));
      void finished.then(() => res.end(answer.subarray(-1)));
    };
    const responses = Array.from({ length: 4 }, () =>
      postChat(url, {
        model: 'gpt-4o-mini',
        max_tokens: 16,
        messages: [{ role: 'user', content: 'the whole report' }],
      }),
    );
    await eventually(() => upstream.calls === 4);
    await eventually(async () => (await bufferedBytes(url)) >= 2 * 5 * MiB);
    expect(await bufferedBytes(url)).toBeLessThanOrEqual(12 * MiB);
    finish();

    const answered = await Promise.all(
      responses.map(async pending => {
        const response = await pending;
        const body = (await response.json()) as {
          choices?: Array<{ message: { content: string } }>;
          error?: { code: string; message: string };
        };
        return { response, body };
      }),
    );
    const served = answered.filter(({ response }) => response.status === 200);
    const refused = answered.filter(({ response }) => response.status === 503);
    expect(served).toHaveLength(2);
    for (const { body } of served) {
      expect(body.choices![0].message.content).toHaveLength(5 * MiB);
    }
    expect(refused).toHaveLength(2);
    for (const { response, body } of refused) {
      expect(body.error!.code).toBe('gateway_overloaded');
      expect(body.error!.message).toMatch(/retry/);
      expect(response.headers.get('retry-after')).toBe('1');
    }

    // The upstream did the work of the refused ones too: they pay their reservation, as the
    // gateway's failure, not the upstream's (its breaker stays closed).
    const refusals = sink
      .usage()
      .filter(event => event.status === 503 && event.errorClass === 'internal');
    expect(refusals).toHaveLength(2);
    for (const event of refusals) {
      expect(event.outcome).toBe('error');
      expect(event.costUsd).toBeGreaterThan(0);
    }
    expect(
      gateway.deps.health.states().every(({ state }) => state === 'closed'),
    ).toBe(true);

    await eventually(async () => (await bufferedBytes(url)) === 0);
    upstream.answer = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(largeAnswer(10));
    };
    const next = await postChat(url, {
      model: 'gpt-4o-mini',
      max_tokens: 16,
      messages: [{ role: 'user', content: 'and now?' }],
    });
    expect(next.status).toBe(200);
  });
});

describe('request bodies that arrive together', () => {
  let simulator: SimulatorServer;
  let gateway: Gateway;
  let url: string;

  beforeAll(async () => {
    simulator = await startSimulator();
    ({ gateway, url } = await startGateway(simulator.url, {
      config: { maxBodyBytes: 256 * 1024, maxBufferedBytes: 500 * 1024 },
    }));
  });
  afterAll(async () => {
    await gateway.stop();
    await simulator.stop();
  });

  /** A chat request of 200 KB: JSON whitespace, not prompt, makes up its size. */
  function body(): Buffer {
    const request = JSON.stringify({
      model: 'gpt-4o-mini',
      max_tokens: 4,
      messages: [{ role: 'user', content: 'hello' }],
    });
    return Buffer.from(
      `${request.slice(0, -1)}${' '.repeat(200 * 1024)}}`,
      'latin1',
    );
  }

  it('are read as they fit; the others get a 503 to retry at once, and every byte comes back', async () => {
    const payload = body();
    const head = `POST /v1/chat/completions HTTP/1.1\r\nHost: gw\r\nAuthorization: Bearer ${KEYS.northwind}\r\nContent-Type: application/json\r\nContent-Length: ${payload.length}\r\n\r\n`;
    // Four callers send their headers and half their bodies, and wait: the replica has room
    // for two bodies of 200 KB.
    const bufferedAtLeast = (bytes: number) => async () =>
      (await bufferedBytes(url)) >= bytes;
    const callers: Array<Awaited<ReturnType<typeof rawConnection>>> = [];
    for (let i = 0; i < 4; i++) {
      const caller = await rawConnection(url);
      caller.socket.write(head);
      caller.socket.write(payload.subarray(0, payload.length / 2));
      callers.push(caller);
      // The first two are read, one after the other.
      if (i < 2) await eventually(bufferedAtLeast((i + 1) * payload.length));
    }
    // The last two are answered before they send the rest.
    await eventually(() =>
      callers.slice(2).every(({ seen }) => seen.received.includes('\r\n\r\n')),
    );
    for (const { seen } of callers.slice(2)) {
      expect(seen.received).toMatch(/^HTTP\/1\.1 503 /);
      expect(seen.received).toMatch(/retry-after: 1/i);
      expect(seen.received).toContain('"code":"gateway_overloaded"');
    }
    expect(callers[0].seen.bytes).toBe(0);
    expect(callers[1].seen.bytes).toBe(0);

    for (const { socket } of callers.slice(0, 2)) {
      socket.write(payload.subarray(payload.length / 2));
    }
    await eventually(() =>
      callers.slice(0, 2).every(({ seen }) => seen.received.includes('}')),
    );
    for (const { seen } of callers.slice(0, 2)) {
      expect(seen.received).toMatch(/^HTTP\/1\.1 200 /);
    }
    for (const { socket } of callers) socket.destroy();
    await eventually(async () => (await bufferedBytes(url)) === 0);
  });

  it('give their bytes back when their callers leave mid-body', async () => {
    const payload = body();
    const head = `POST /v1/chat/completions HTTP/1.1\r\nHost: gw\r\nAuthorization: Bearer ${KEYS.northwind}\r\nContent-Type: application/json\r\nContent-Length: ${payload.length}\r\n\r\n`;
    const inFlight = (count: number) => () =>
      gateway.deps.inFlight.api === count;
    for (let round = 0; round < 5; round++) {
      const callers = await Promise.all([
        rawConnection(url),
        rawConnection(url),
      ]);
      for (const { socket } of callers) {
        socket.write(head);
        socket.write(payload.subarray(0, 1000));
      }
      await eventually(inFlight(2));
      for (const { socket } of callers) socket.destroy();
      await eventually(inFlight(0));
    }
    expect(await bufferedBytes(url)).toBe(0);
    const response = await postChat(url, {
      model: 'gpt-4o-mini',
      max_tokens: 4,
      messages: [{ role: 'user', content: 'still there?' }],
    });
    expect(response.status).toBe(200);
  });
});
