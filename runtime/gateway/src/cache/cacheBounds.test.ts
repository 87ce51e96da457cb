/**
 * The prompt cache holds to its configured bounds end to end: an entry older than its TTL is
 * a miss, answers count by their UTF-8 bytes against the byte cap, one larger than an eighth
 * of the cap is not kept, and the memory the entries keep alive is what they count (not the
 * upstream socket reads their bodies were sliced from). A gateway in process whose clock the
 * test moves, in front of a raw upstream that answers what each test tells it to
 * (`PromptCache.test.ts` holds the same bounds for the cache alone).
 */
import type { SimulatorServer } from '@cellport/simulator';
import {
  chatCompletion,
  KEYS,
  startGateway,
  startSimulator,
  testState,
} from '../__testUtils__/fixtures';
import { askCached } from '../__testUtils__/gatewayCalls';
import { RawUpstream } from '../__testUtils__/RawUpstream';
import type { Gateway } from '../createGateway';

// Real servers and hundreds of requests: generous limits so a loaded CI machine does not fail them.
jest.setTimeout(60_000);

describe('the prompt cache within its bounds', () => {
  let simulator: SimulatorServer;
  let upstream: RawUpstream;
  let gateway: Gateway;
  let url: string;
  let clockOffsetMs = 0;
  const maxBytes = 256 * 1024;

  beforeAll(async () => {
    simulator = await startSimulator();
    upstream = new RawUpstream();
    const upstreamUrl = await upstream.start();
    const state = testState(simulator.url);
    state.modelProfiles.find(
      p => p.id === 'us-large',
    )!.endpoint = `${upstreamUrl}/v1`;
    ({ gateway, url } = await startGateway(simulator.url, {
      state,
      config: { cache: { enabled: true, ttlSeconds: 5, maxBytes } },
      overrides: { now: () => Date.now() + clockOffsetMs },
    }));
  });
  afterAll(async () => {
    await gateway.stop();
    await upstream.stop();
    await simulator.stop();
  });

  /** The raw upstream answers `content`, with `headers` beside its content type. */
  const answerWith = (
    content: string,
    headers: Record<string, string> = {},
  ) => {
    upstream.answer = (_req, res) => {
      res
        .writeHead(200, { 'content-type': 'application/json', ...headers })
        .end(chatCompletion({ content }, { prompt: 3, completion: 3 }));
    };
  };
  /** Brightpath asks us-large `content`, the raw upstream's only profile. */
  const ask = (content: string) =>
    askCached(url, KEYS.brightpath, {
      model: 'us-large',
      messages: [{ role: 'user', content }],
    });

  it('misses on an entry older than GATEWAY_CACHE_TTL_SECONDS', async () => {
    answerWith('ttl answer');
    expect((await ask('ttl probe')).status).toBe(200);
    expect((await ask('ttl probe')).cache).toBe('hit');
    clockOffsetMs += 6_000;
    expect((await ask('ttl probe')).cache).toBeNull();
  });

  it('counts a non-ASCII answer by its UTF-8 bytes against the byte cap, and holds the cap', async () => {
    const cache = gateway.deps.cache!;
    // Four UTF-8 bytes a character (two UTF-16 units): 8 KiB of text is 16 KiB of bytes.
    const content = '😀'.repeat(4096);
    answerWith(content);
    for (let i = 0; i < 40; i++) {
      expect((await ask(`emoji ${i}`)).status).toBe(200);
      expect(cache.bytes).toBeLessThanOrEqual(maxBytes);
    }
    expect(cache.size).toBeGreaterThan(0);
    expect(cache.bytes / cache.size).toBeGreaterThan(
      Buffer.byteLength(content, 'utf8'),
    );
  });

  it('does not keep an answer larger than an eighth of the cap, and asks the upstream again', async () => {
    answerWith('x'.repeat(maxBytes / 8 + 1));
    const calls = upstream.calls;
    expect((await ask('huge answer')).status).toBe(200);
    expect((await ask('huge answer')).cache).toBeNull();
    expect(upstream.calls - calls).toBe(2);
  });

  it('keeps alive no more memory than the cap: a small cached answer does not hold the whole upstream read it came in, headers and all', async () => {
    const cache = gateway.deps.cache!;
    // An upstream (or a proxy in front of it: APIM, a CDN) that sends a few KiB of headers.
    answerWith('ok', { 'x-upstream-padding': 'p'.repeat(8 * 1024) });
    for (let i = 0; i < 800; i++) {
      expect((await ask(`small answer ${i}`)).status).toBe(200);
    }
    expect(cache.bytes).toBeLessThanOrEqual(maxBytes);
    // What the entries really keep alive: the distinct memory blocks behind their bodies.
    const entries = (
      cache as unknown as {
        entries: Map<string, { answer: { body: Buffer } }>;
      }
    ).entries;
    const blocks = new Set<ArrayBufferLike>();
    for (const entry of entries.values()) blocks.add(entry.answer.body.buffer);
    let retained = 0;
    for (const block of blocks) retained += block.byteLength;
    expect(retained).toBeLessThanOrEqual(maxBytes);
  });
});
