import type { SimulatorServer } from '@cellport/simulator';
import {
  eventually,
  KEYS,
  postChat,
  startGateway,
  startSimulator,
} from './__testUtils__/fixtures';
import type { Gateway } from './createGateway';
import { rawConnection } from './__testUtils__/rawConnection';

/*
 * What one caller (with a valid key, or none) can make a replica hold or do: state that grows
 * per distinct value it sends, connections it keeps, requests it never reads the answers of.
 * The tokenizer's memory, unread JSON answers and refused bodies have tests of their own
 * (TokenCounter.test.ts, slowClients.test.ts).
 */

// Real servers: generous limits so a loaded CI machine does not fail them.
jest.setTimeout(60_000);

function rawRequest(path: string, key: string, body: string): string {
  return `POST ${path} HTTP/1.1\r\nHost: gw\r\nAuthorization: Bearer ${key}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(
    body,
  )}\r\n\r\n${body}`;
}

/** Sample lines of /metrics, the process's own metrics aside. */
async function metricSeries(url: string): Promise<string[]> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return text
    .split('\n')
    .filter(
      line =>
        line && !line.startsWith('#') && !/^(process_|nodejs_)/.test(line),
    );
}

describe('values a caller chooses do not become state', () => {
  let simulator: SimulatorServer;
  let gateway: Gateway;
  let url: string;

  beforeAll(async () => {
    simulator = await startSimulator();
    ({ gateway, url } = await startGateway(simulator.url, {
      config: {
        cache: { enabled: true, ttlSeconds: 60, maxBytes: 256 * 1024 },
      },
    }));
  });
  afterAll(async () => {
    await gateway.stop();
    await simulator.stop();
  });

  /**
   * One request with values of its own everywhere a caller can put one: model name,
   * classification, trace headers, request id, `user`, metadata, key, path. Brightpath's
   * tenant caches, so the answers of the ones served fill the prompt cache too.
   */
  async function distinctRequest(i: number): Promise<void> {
    let key: string = KEYS.brightpath;
    if (i % 7 === 0) key = `cp-made-up-${i}`;
    else if (i % 11 === 0) key = '';
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'x-cellport-data-classification': i % 3 === 0 ? `LEVEL-${i}` : 'PUBLIC',
      traceparent: `00-${(i + 1).toString(16).padStart(32, 'a')}-${(i + 1)
        .toString(16)
        .padStart(16, 'b')}-01`,
      tracestate: `vendor${i}=value${i}`,
      'x-request-id': `caller-id-${i}`,
    };
    if (key) headers.authorization = `Bearer ${key}`;
    const path = i % 13 === 0 ? `/v1/unknown-${i}` : '/v1/chat/completions';
    const response = await fetch(`${url}${path}`, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        model: i % 2 ? `model-${i}-${'m'.repeat(i % 300)}` : 'gpt-4o-mini',
        max_tokens: 4,
        messages: [{ role: 'user', content: `question ${i}` }],
        user: `user-${i}`,
        metadata: { run: `run-${i}` },
      }),
    });
    await response.arrayBuffer();
  }

  it('adds no /metrics series, limiter counter, breaker or cache bytes per distinct value', async () => {
    for (let i = 0; i < 300; i++) await distinctRequest(i);
    const series = await metricSeries(url);
    const limiter = gateway.deps.limiter as unknown as {
      counters: Map<string, unknown>;
    };
    const counters = limiter.counters.size;
    for (let i = 300; i < 1_300; i++) await distinctRequest(i);

    // 1,000 more requests, each with values never seen before: not one new series.
    expect(await metricSeries(url)).toHaveLength(series.length);
    expect(limiter.counters.size).toBeLessThanOrEqual(counters + 4);
    // One breaker per profile of the state, not per model name asked for.
    expect(gateway.deps.health.states().length).toBeLessThanOrEqual(
      gateway.deps.state.current!.profiles.size,
    );
    expect(gateway.deps.cache!.bytes).toBeLessThanOrEqual(256 * 1024);
  });
});

describe('callers idle or flooding', () => {
  let simulator: SimulatorServer;
  let gateway: Gateway;
  let url: string;

  beforeAll(async () => {
    simulator = await startSimulator();
    ({ gateway, url } = await startGateway(simulator.url));
  });
  afterAll(async () => {
    await gateway.stop();
    await simulator.stop();
  });

  it('serves other callers while one holds 1,000 idle connections and floods another with pipelined requests it never reads, and forgets them when they go', async () => {
    const idle = await Promise.all(
      Array.from({ length: 1_000 }, () => rawConnection(url)),
    );
    const flood = await rawConnection(url);
    flood.socket.pause();
    const refused = rawRequest(
      '/v1/chat/completions',
      KEYS.brightpath,
      JSON.stringify({
        model: 'no-such-model',
        messages: [{ role: 'user', content: 'hi' }],
      }),
    );
    for (let i = 0; i < 5_000 && flood.socket.write(refused); i++);
    try {
      const response = await postChat(
        url,
        {
          model: 'gpt-4o-mini',
          max_tokens: 4,
          messages: [{ role: 'user', content: 'still there?' }],
        },
        { key: KEYS.brightpath },
      );
      expect(response.status).toBe(200);
      await response.arrayBuffer();
    } finally {
      flood.socket.destroy();
      idle.forEach(client => client.socket.destroy());
    }
    // Requests queued behind unread answers on the dropped connection count no more.
    await eventually(() => gateway.deps.inFlight.all === 0);
  });
});
