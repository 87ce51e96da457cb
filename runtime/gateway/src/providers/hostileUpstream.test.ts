import { gzipSync } from 'node:zlib';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  RawUpstream,
  UpstreamAnswer as Answer,
} from '../__testUtils__/RawUpstream';
import type {
  RoutingDecision,
  UsageEvent,
} from '@cellport/plugin-platform-common';
import {
  eventually,
  KEYS,
  RecordingEventSink,
  startGateway,
  testState,
} from '../__testUtils__/fixtures';
import type { GatewayConfig } from '../config/GatewayConfig';
import type { Gateway } from '../createGateway';
import { InMemoryLimiter } from '../limits/InMemoryLimiter';
import type {
  LimitRequest,
  LimitVerdict,
  Reservation,
} from '../limits/Limiter';

/**
 * Attacks on the gateway's promises from the upstream's side, for every inbound API (chat,
 * responses, messages, embeddings) and both upstream protocols (OpenAI's: the `simulator`
 * profiles; Anthropic's: `claude`). Each request must end (never hang), answer in its API's
 * own error shape without a stack trace, count an unusable answer against its upstream's
 * breaker, record one RoutingDecision and one UsageEvent, and settle or release its
 * reservation once, charging no more than it reserved.
 */

// Real servers on a loaded 2-core machine: generous for the harness, bounded for each request.
jest.setTimeout(40_000);

/** The in-process limiter, noting every reservation and how each ended. */
class WatchedLimiter extends InMemoryLimiter {
  readonly reserved: Reservation[] = [];
  readonly settled: Array<{ reservation: Reservation; costUsd: number }> = [];

  async reserve(request: LimitRequest): Promise<LimitVerdict> {
    const verdict = await super.reserve(request);
    if (verdict.ok) this.reserved.push(verdict.reservation);
    return verdict;
  }

  settle(
    reservation: Reservation,
    actual: { tokens: number; costUsd: number },
  ): Promise<void> {
    this.settled.push({ reservation, costUsd: actual.costUsd });
    return super.settle(reservation, actual);
  }
  // `release` settles at zero: counted by `settle`.
}

type Api = 'chat' | 'responses' | 'messages' | 'embeddings';
type Model = 'gpt-4o-mini' | 'claude-haiku';

/** The one profile that serves each model for brightpath (no fallback). */
const PROFILE: Record<Model | 'text-embedding-3-small', string> = {
  'gpt-4o-mini': 'us-small',
  'claude-haiku': 'claude',
  'text-embedding-3-small': 'eu-embed',
};

const PATH: Record<Api, string> = {
  chat: '/v1/chat/completions',
  responses: '/v1/responses',
  messages: '/v1/messages',
  embeddings: '/v1/embeddings',
};

function bodyFor(api: Api, model: Model, stream: boolean): object {
  switch (api) {
    case 'chat':
      return {
        model,
        stream,
        max_tokens: 16,
        messages: [{ role: 'user', content: 'hello' }],
      };
    case 'responses':
      return { model, stream, max_output_tokens: 16, input: 'hello' };
    case 'messages':
      return {
        model,
        stream,
        max_tokens: 16,
        messages: [{ role: 'user', content: 'hello' }],
      };
    default:
      return { model: 'text-embedding-3-small', input: 'hello' };
  }
}

// ---- upstream answers ----

const SSE = { 'content-type': 'text/event-stream' };
const JSON_TYPE = { 'content-type': 'application/json' };

const openAiChunk = (delta: object, finish: string | null = null) =>
  `data: ${JSON.stringify({
    id: 'c1',
    object: 'chat.completion.chunk',
    created: 1,
    model: 'm',
    choices: [{ index: 0, delta, finish_reason: finish }],
  })}`;
const openAiUsage = (prompt: unknown, completion: unknown) =>
  `data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[],"usage":{"prompt_tokens":${prompt},"completion_tokens":${completion}}}`;

/** A whole OpenAI stream, its events LF-framed: "Hello world", stop, usage, [DONE]. */
const OPENAI_EVENTS = [
  openAiChunk({ role: 'assistant', content: 'Hello' }),
  openAiChunk({ content: ' world' }),
  openAiChunk({}, 'stop'),
  openAiUsage(3, 2),
  'data: [DONE]',
];

const anthropicEvent = (data: Record<string, unknown>) =>
  `event: ${data.type}\ndata: ${JSON.stringify(data)}`;

const anthropicEvents = (
  inputTokens: unknown = 3,
  outputTokens: unknown = 2,
) => [
  `event: message_start\ndata: {"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","model":"m","content":[],"stop_reason":null,"usage":{"input_tokens":${inputTokens},"output_tokens":1}}}`,
  anthropicEvent({
    type: 'content_block_start',
    index: 0,
    content_block: { type: 'text', text: '' },
  }),
  anthropicEvent({
    type: 'content_block_delta',
    index: 0,
    delta: { type: 'text_delta', text: 'Hello' },
  }),
  anthropicEvent({
    type: 'content_block_delta',
    index: 0,
    delta: { type: 'text_delta', text: ' world' },
  }),
  anthropicEvent({ type: 'content_block_stop', index: 0 }),
  `event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":${outputTokens}}}`,
  anthropicEvent({ type: 'message_stop' }),
];

const streamOf = (model: Model) =>
  model === 'gpt-4o-mini' ? OPENAI_EVENTS : anthropicEvents();

/** Events as SSE, each line ended by `eol` and each event by a blank line. */
const sse = (events: string[], eol = '\n') =>
  events.map(event => `${event.split('\n').join(eol)}${eol}${eol}`).join('');

const reply =
  (body: string | Buffer, headers: Record<string, string> = JSON_TYPE) =>
  (_req: IncomingMessage, res: ServerResponse) =>
    res.writeHead(200, headers).end(body);

/** A good JSON answer of each protocol, "hi there", with the usage given. */
const openAiJson = (usage = '{"prompt_tokens":3,"completion_tokens":2}') =>
  `{"id":"c1","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"hi there"},"finish_reason":"stop"}],"usage":${usage}}`;
const anthropicJson = (usage = '{"input_tokens":3,"output_tokens":2}') =>
  `{"id":"msg_1","type":"message","role":"assistant","model":"m","content":[{"type":"text","text":"hi there"}],"stop_reason":"end_turn","stop_sequence":null,"usage":${usage}}`;

// ---- reading answers ----

/**
 * Reads an answer, headers and body, for at most `ms`: a gateway that never ends it shows as
 * `ended: false` (the request is then abandoned, as a caller would), not as a test that hangs.
 */
async function readFor(
  call: (signal: AbortSignal) => Promise<Response>,
  ms = 10_000,
): Promise<{ status: number; text: string; ended: boolean }> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), ms);
  let status = 0;
  let text = '';
  try {
    const response = await call(abort.signal);
    status = response.status;
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return { status, text, ended: true };
      text += decoder.decode(value, { stream: true });
    }
  } catch {
    return { status, text, ended: false };
  } finally {
    clearTimeout(timer);
  }
}

/** The SSE events of `text` a spec-following client dispatches: those a blank line ends. */
function dispatchedEvents(text: string): string[] {
  const events = text.split('\n\n');
  events.pop(); // the tail no blank line ended is dropped at the end of the stream
  return events.filter(Boolean);
}

const STACK = /\n\s+at |\.ts:\d+|\.js:\d+|node_modules/;

/** The error of an answer in its API's shape: OpenAI's, or Anthropic's for Messages. */
function errorOf(api: Api, text: string): { type: string; code?: string } {
  const body = JSON.parse(text);
  if (api === 'messages') {
    expect(body).toMatchObject({
      type: 'error',
      error: { type: expect.any(String), message: expect.any(String) },
    });
    return body.error;
  }
  expect(body).toMatchObject({
    error: { message: expect.any(String), type: expect.any(String) },
  });
  return body.error;
}

/** The error event that ends a stream, in its API's shape; undefined when there is none. */
function streamErrorOf(
  api: Api,
  text: string,
): Record<string, any> | undefined {
  const events = dispatchedEvents(text);
  const last = events[events.length - 1] ?? '';
  const data = last
    .split('\n')
    .find(line => line.startsWith('data: '))
    ?.slice(6);
  if (!data) return undefined;
  const parsed = JSON.parse(data);
  if (api === 'chat') return parsed.error;
  if (!last.startsWith('event: error\n')) return undefined;
  return api === 'messages' ? parsed.error : parsed;
}

describe('a hostile upstream, seen from every inbound API', () => {
  let upstream: RawUpstream;
  let upstreamUrl: string;
  let gateway: Gateway;
  let url: string;
  let sink: RecordingEventSink;
  let limiter: WatchedLimiter;

  beforeAll(async () => {
    upstream = new RawUpstream();
    upstreamUrl = await upstream.start();
  });
  afterAll(() => upstream.stop());

  async function start(config: Partial<GatewayConfig> = {}) {
    limiter = new WatchedLimiter();
    ({
      gateway,
      url,
      events: sink,
    } = await startGateway(upstreamUrl, {
      state: testState(upstreamUrl),
      // A request left hanging must not hold the stop up.
      config: { drainTimeoutMs: 0, ...config },
      // One failure opens a circuit: a failure that was not counted shows as a closed one.
      overrides: { breaker: { failureThreshold: 1, openMs: 60_000 }, limiter },
    }));
  }
  afterEach(() => gateway?.stop());

  function send(
    api: Api,
    model: Model,
    stream: boolean,
    signal?: AbortSignal,
  ): Promise<Response> {
    return fetch(`${url}${PATH[api]}`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${
          api === 'embeddings' ? KEYS.northwind : KEYS.brightpath
        }`,
        'content-type': 'application/json',
      },
      body: JSON.stringify(bodyFor(api, model, stream)),
      signal,
    });
  }

  /**
   * One request and what it came to: its status and body (read for at most `ms`), the
   * breaker of the profile that served it, its events, and its reservation's fate.
   */
  async function outcome(api: Api, model: Model, stream: boolean, ms = 10_000) {
    const { status, text, ended } = await readFor(
      signal => send(api, model, stream, signal),
      ms,
    );
    const profile =
      PROFILE[api === 'embeddings' ? 'text-embedding-3-small' : model];
    // Each request's events are published once it ends.
    await eventually(() => sink.usage().length >= 1, 120).catch(
      () => undefined,
    );
    const usage = sink.usage() as UsageEvent[];
    const metrics = await (await fetch(`${url}/metrics`)).text();
    return {
      status,
      text,
      ended,
      circuit: gateway.deps.health.get(profile).breaker.state,
      metricsOpen: metrics.includes(
        `cellport_gateway_circuit_state{model="${profile}",state="open"} 1`,
      ),
      usage,
      decisions: sink.decisions() as RoutingDecision[],
    };
  }

  type Outcome = Awaited<ReturnType<typeof outcome>>;

  /** One RoutingDecision, one UsageEvent, one reservation settled once within its bound. */
  async function expectAccounted(result: Outcome) {
    expect(result.decisions).toHaveLength(1);
    expect(result.usage).toHaveLength(1);
    expect(limiter.reserved).toHaveLength(1);
    await eventually(() => limiter.settled.length >= 1, 40).catch(
      () => undefined,
    );
    expect(limiter.settled).toHaveLength(1);
    const [{ reservation, costUsd }] = limiter.settled;
    expect(reservation).toBe(limiter.reserved[0]);
    expect(Math.ceil(costUsd * 1e9)).toBeLessThanOrEqual(
      reservation.costNanoUsd,
    );
    expect(result.usage[0].costUsd).toBeCloseTo(costUsd, 12);
  }

  /** The caller got a 502 in its API's shape, and the upstream was blamed for it. */
  async function expectUpstreamFailed(api: Api, result: Outcome) {
    expect(result.ended).toBe(true);
    expect(result.status).toBe(502);
    expect(result.text).not.toMatch(STACK);
    const error = errorOf(api, result.text);
    if (api === 'messages') expect(error.type).toBe('api_error');
    else expect(error.code).toBe('upstream_error');
    expect(result.circuit).toBe('open');
    expect(result.metricsOpen).toBe(true);
    expect(result.usage[0]).toMatchObject({
      status: 502,
      errorClass: 'upstream-error',
    });
    await expectAccounted(result);
  }

  /** A stream that began, then failed: its API's error event ends it, the upstream blamed. */
  async function expectStreamBroken(api: Api, result: Outcome) {
    expect(result.ended).toBe(true);
    expect(result.status).toBe(200);
    expect(result.text).not.toMatch(STACK);
    expect(result.text.endsWith('\n\n')).toBe(true);
    expect(streamErrorOf(api, result.text)).toBeDefined();
    expect(result.circuit).toBe('open');
    expect(result.metricsOpen).toBe(true);
    expect(result.usage[0]).toMatchObject({
      status: 502,
      errorClass: 'upstream-error',
    });
    await expectAccounted(result);
  }

  const CHAT_APIS: Array<[Api, Model]> = [
    ['chat', 'gpt-4o-mini'],
    ['chat', 'claude-haiku'],
    ['responses', 'gpt-4o-mini'],
    ['responses', 'claude-haiku'],
    ['messages', 'gpt-4o-mini'],
    ['messages', 'claude-haiku'],
  ];
  /** One API and protocol of each kind, for the cases that wait out a timeout or move 10 MB. */
  const SOME_APIS: Array<[Api, Model]> = [
    ['chat', 'gpt-4o-mini'],
    ['messages', 'claude-haiku'],
  ];

  describe('a stream that is complete, whose upstream then keeps the connection open', () => {
    beforeEach(() => start({ upstreamIdleTimeoutMs: 30_000 }));

    it.each([
      ['chat', 'gpt-4o-mini', 'silent'],
      ['responses', 'claude-haiku', 'silent'],
      ['messages', 'claude-haiku', 'sending keep-alive comments'],
    ])(
      '%s via %s: the caller gets its whole answer and the end of its stream at once (upstream %s)',
      async (api, model, then) => {
        upstream.answer = (_req, res) => {
          res.writeHead(200, SSE);
          res.write(sse(streamOf(model as Model)));
          if (then === 'silent') return;
          const beat = setInterval(() => res.write(': keep-alive\n\n'), 100);
          res.on('close', () => clearInterval(beat));
        };
        const result = await outcome(api as Api, model as Model, true);
        expect(result.text).toContain('world');
        expect(result.ended).toBe(true);
        expect(result.status).toBe(200);
        expect(result.usage[0]).toMatchObject({
          status: 200,
          outcome: 'success',
        });
        expect(result.circuit).toBe('closed');
        await expectAccounted(result);
      },
    );
  });

  describe('an answer whose headers come, then silence', () => {
    // The answer's time after its headers is GATEWAY_UPSTREAM_TIMEOUT_MS's (README); the idle
    // timeout is far longer, so that only the right one can end the request in time.
    beforeEach(() =>
      start({ upstreamTimeoutMs: 700, upstreamIdleTimeoutMs: 30_000 }),
    );

    it.each([
      ['chat', 'gpt-4o-mini'],
      ['messages', 'claude-haiku'],
      ['embeddings', 'gpt-4o-mini'],
    ] as Array<[Api, Model]>)(
      '%s via %s (JSON): 504 once GATEWAY_UPSTREAM_TIMEOUT_MS passed, not the idle timeout',
      async (api, model) => {
        upstream.answer = (_req, res) => {
          res.writeHead(200, JSON_TYPE);
          res.write('{"id":');
        };
        const result = await outcome(api, model, false);
        expect(result.ended).toBe(true);
        expect(result.status).toBe(504);
        expect(result.text).not.toMatch(STACK);
        errorOf(api, result.text);
        expect(result.usage[0]).toMatchObject({
          status: 504,
          errorClass: 'upstream-timeout',
        });
        expect(result.circuit).toBe('open');
        expect(result.decisions).toHaveLength(1);
        expect(limiter.settled).toHaveLength(1);
      },
    );
  });

  describe('a refusal whose headers come, then silence', () => {
    beforeEach(() =>
      start({ upstreamTimeoutMs: 700, upstreamIdleTimeoutMs: 30_000 }),
    );

    it.each([
      ['chat', 'gpt-4o-mini', false],
      ['messages', 'claude-haiku', true],
    ] as Array<[Api, Model, boolean]>)(
      '%s via %s (stream %s): a 500 whose body never comes is answered once GATEWAY_UPSTREAM_TIMEOUT_MS passed',
      async (api, model, stream) => {
        upstream.answer = (_req, res) => {
          res.writeHead(500, JSON_TYPE);
          res.write('{"error":');
        };
        const result = await outcome(api, model, stream);
        expect(result.ended).toBe(true);
        expect([502, 504]).toContain(result.status);
        errorOf(api, result.text);
        expect(result.circuit).toBe('open');
        await expectAccounted(result);
      },
    );
  });

  describe('a stream whose headers come, then silence', () => {
    // The total timeout is far longer than the read, so that only the idle timeout can end it.
    beforeEach(() =>
      start({ upstreamTimeoutMs: 30_000, upstreamIdleTimeoutMs: 600 }),
    );

    it.each([['messages', 'claude-haiku']] as Array<[Api, Model]>)(
      '%s via %s: before its first event, 504 at the idle timeout, counted against the upstream',
      async (api, model) => {
        upstream.answer = (_req, res) =>
          res.writeHead(200, SSE).write(': hi\n');
        const result = await outcome(api, model, true);
        expect(result.ended).toBe(true);
        expect(result.status).toBe(504);
        expect(result.text).not.toMatch(STACK);
        errorOf(api, result.text);
        expect(result.circuit).toBe('open');
        expect(result.usage[0]).toMatchObject({
          errorClass: 'upstream-timeout',
        });
        await expectAccounted(result);
      },
    );

    it.each([['chat', 'gpt-4o-mini']] as Array<[Api, Model]>)(
      '%s via %s: after its first events, an error event at the idle timeout',
      async (api, model) => {
        upstream.answer = (_req, res) =>
          res.writeHead(200, SSE).write(sse(streamOf(model).slice(0, 3)));
        const result = await outcome(api, model, true);
        expect(result.text).toContain('Hello');
        await expectStreamBroken(api, result);
      },
    );
  });

  describe('with the default timeouts', () => {
    beforeEach(() => start());

    it.each(CHAT_APIS)(
      '%s via %s: the last event, ended by the end of the stream instead of a blank line, reaches the caller as a whole event',
      async (api, model) => {
        const events = streamOf(model);
        upstream.answer = reply(
          sse(events.slice(0, -1)) + events[events.length - 1],
          SSE,
        );
        const result = await outcome(api, model, true);
        expect(result.status).toBe(200);
        expect(result.ended).toBe(true);
        // Every event the gateway relays is whole: a client drops one no blank line ends.
        expect(result.text.endsWith('\n\n')).toBe(true);
        expect(result.usage).toHaveLength(1);
      },
    );

    it.each([['chat', 'gpt-4o-mini']] as Array<[Api, Model]>)(
      '%s via %s: a stream whose finish reason is its last, unterminated line: the caller reads that end, or an error',
      async (api, model) => {
        const events = [
          openAiChunk({ content: 'Hello world' }),
          openAiChunk({}, 'stop'),
        ];
        upstream.answer = reply(
          sse(events.slice(0, -1)) + events[events.length - 1],
          SSE,
        );
        const result = await outcome(api, model, true);
        expect(result.ended).toBe(true);
        expect(result.text.endsWith('\n\n')).toBe(true);
        // What the caller's client dispatches holds the answer's end, or an error event.
        const dispatched = dispatchedEvents(result.text).join('\n\n');
        expect(
          dispatched.includes('"finish_reason":"stop"') ||
            streamErrorOf(api, result.text) !== undefined,
        ).toBe(true);
      },
    );

    describe('events framed with lone CRs are relayed one by one', () => {
      it.each(CHAT_APIS)('%s via %s', async (api, model) => {
        let release!: () => void;
        const released = new Promise<void>(resolve => {
          release = resolve;
        });
        const events = streamOf(model);
        // Up to the first text, then the rest once the caller has the text (or after 10 s).
        const cut = model === 'gpt-4o-mini' ? 1 : 3;
        let sentBy: 'caller' | 'timeout' | undefined;
        upstream.answer = (_req, res) => {
          res.writeHead(200, SSE);
          res.write(sse(events.slice(0, cut), '\r'));
          const timer = setTimeout(() => {
            sentBy ??= 'timeout';
            release();
          }, 10_000);
          void released.then(() => {
            clearTimeout(timer);
            sentBy ??= 'caller';
            res.end(sse(events.slice(cut), '\r'));
          });
        };
        const response = await send(api, model, true);
        expect(response.status).toBe(200);
        const reader = response.body!.getReader();
        const decoder = new TextDecoder();
        let text = '';
        while (!text.includes('Hello')) {
          const { value, done } = await reader.read();
          if (done) break;
          text += decoder.decode(value, { stream: true });
        }
        release();
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          text += decoder.decode(value, { stream: true });
        }
        expect(sentBy).toBe('caller');
        expect(text).toContain('world');
        expect(text).not.toContain('\r');
        expect(text).not.toMatch(/event: error|"error":\{/);
      });
    });

    it.each(CHAT_APIS)(
      '%s via %s: a character split across TCP writes mid UTF-8 arrives whole',
      async (api, model) => {
        const text = 'Grüße, 世界 🌍';
        const events =
          model === 'gpt-4o-mini'
            ? [
                openAiChunk({ role: 'assistant', content: text }),
                openAiChunk({}, 'stop'),
                openAiUsage(3, 2),
                'data: [DONE]',
              ]
            : anthropicEvents().map(event =>
                event.replace('"text":"Hello"', `"text":"${text}"`),
              );
        const bytes = Buffer.from(sse(events));
        upstream.answer = (_req, res) => {
          res.writeHead(200, SSE);
          // A write of at most 3 bytes at a time, so every multi-byte character is split.
          let at = 0;
          const next = () => {
            if (res.destroyed) return;
            if (at >= bytes.length) {
              res.end();
              return;
            }
            const size = 1 + (at % 3);
            res.write(bytes.subarray(at, at + size));
            at += size;
            setImmediate(next);
          };
          next();
        };
        const result = await outcome(api, model, true);
        expect(result.status).toBe(200);
        expect(result.ended).toBe(true);
        expect(result.text).not.toContain('\ufffd');
        const escaped = JSON.stringify(text).slice(1, -1);
        expect(
          result.text.includes(text) || result.text.includes(escaped),
        ).toBe(true);
        expect(result.usage[0]).toMatchObject({ status: 200 });
        await expectAccounted(result);
      },
    );

    it.each(SOME_APIS)(
      '%s via %s: a first data line of 10 MB is a 502, counted against the upstream',
      async (api, model) => {
        upstream.answer = (_req, res) => {
          res.writeHead(200, SSE);
          res.end(`data: {"x":"${'x'.repeat(10 * 1024 * 1024)}"}\n\n`);
        };
        await expectUpstreamFailed(api, await outcome(api, model, true));
      },
    );

    it.each(SOME_APIS)(
      '%s via %s: a data line of 10 MB mid-stream ends it with an error event',
      async (api, model) => {
        upstream.answer = (_req, res) => {
          res.writeHead(200, SSE);
          res.write(sse(streamOf(model).slice(0, 3)));
          setTimeout(
            () =>
              res.end(
                `data: {"type":"content_block_delta","x":"${'x'.repeat(
                  10 * 1024 * 1024,
                )}"}\n\n`,
              ),
            50,
          );
        };
        const result = await outcome(api, model, true);
        expect(result.text).toContain('Hello');
        expect(result.text.length).toBeLessThan(1024 * 1024);
        await expectStreamBroken(api, result);
      },
    );

    it.each([
      ['chat', 'claude-haiku'],
      ['responses', 'claude-haiku'],
      ['messages', 'claude-haiku'],
    ] as Array<[Api, Model]>)(
      "%s via %s: Anthropic's error event mid-stream ends the stream with the API's error event",
      async (api, model) => {
        upstream.answer = (_req, res) => {
          res.writeHead(200, SSE);
          res.write(sse(anthropicEvents().slice(0, 3)));
          setTimeout(
            () =>
              res.end(
                sse([
                  'event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}',
                ]),
              ),
            50,
          );
        };
        const result = await outcome(api, model, true);
        expect(result.text).toContain('Hello');
        expect(result.text).not.toContain('world');
        await expectStreamBroken(api, result);
      },
    );

    // Before: the event's data has no `error` field, so it passed as a usage-only chunk, and
    // the `[DONE]` after it ended a 200 that the breaker counted as a success.
    it.each([
      ['chat', 'gpt-4o-mini'],
      ['responses', 'gpt-4o-mini'],
      ['messages', 'gpt-4o-mini'],
    ] as Array<[Api, Model]>)(
      '%s via %s: an event named error mid-stream, then [DONE], ends the stream with an error event',
      async (api, model) => {
        upstream.answer = (_req, res) => {
          res.writeHead(200, SSE);
          res.write(sse(OPENAI_EVENTS.slice(0, 1)));
          setTimeout(
            () =>
              res.end(
                sse([
                  'event: error\ndata: {"message":"The server had an error","type":"server_error","code":500}',
                  'data: [DONE]',
                ]),
              ),
            50,
          );
        };
        const result = await outcome(api, model, true);
        expect(result.text).toContain('Hello');
        expect(result.text).not.toContain('The server had an error');
        await expectStreamBroken(api, result);
      },
    );

    it.each(
      CHAT_APIS.filter(([api]) => api !== 'chat').map(
        ([api, model]) => [api, model] as [Api, Model],
      ),
    )(
      '%s via %s: a stream that ends without [DONE] / message_stop ends with an error event',
      async (api, model) => {
        // The text, without the finish reason or stop reason, [DONE] or message_stop.
        const events = streamOf(model).slice(
          0,
          model === 'gpt-4o-mini' ? 2 : 4,
        );
        upstream.answer = reply(sse(events), SSE);
        const result = await outcome(api, model, true);
        expect(result.text).toContain('Hello');
        await expectStreamBroken(api, result);
      },
    );

    const NOT_SSE: Array<[string, Answer]> = [
      [
        'an HTML page',
        reply('<html>busy</html>', { 'content-type': 'text/html' }),
      ],
      [
        'a gzip stream it did not ask for',
        reply(gzipSync(sse(OPENAI_EVENTS)), {
          'content-type': 'text/event-stream',
          'content-encoding': 'gzip',
        }),
      ],
      [
        "Anthropic's error event first",
        reply(
          sse([
            'event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}',
          ]),
          SSE,
        ),
      ],
    ];

    it.each(
      CHAT_APIS.flatMap(([api, model]) =>
        NOT_SSE.map(([what, answer]) => [api, model, what, answer]),
      ) as Array<[Api, Model, string, Answer]>,
    )(
      "%s via %s (stream): %s is a 502 in the API's shape",
      async (api, model, _what, answer) => {
        upstream.answer = answer;
        await expectUpstreamFailed(api, await outcome(api, model, true));
      },
    );

    const NOT_JSON: Array<[string, Answer]> = [
      ['invalid JSON', reply('{"choices":[{"message":')],
      [
        'an HTML page with a 200',
        reply('<html>busy</html>', { 'content-type': 'text/html' }),
      ],
      [
        'a gzip body it did not ask for',
        reply(gzipSync(openAiJson()), {
          'content-type': 'application/json',
          'content-encoding': 'gzip',
        }),
      ],
    ];

    it.each(
      (['chat', 'responses', 'messages', 'embeddings'] as Api[]).flatMap(api =>
        (['gpt-4o-mini', 'claude-haiku'] as Model[])
          .filter(model => api !== 'embeddings' || model === 'gpt-4o-mini')
          .flatMap(model =>
            NOT_JSON.map(([what, answer]) => [api, model, what, answer]),
          ),
      ) as Array<[Api, Model, string, Answer]>,
    )(
      "%s via %s (JSON): %s is a 502 in the API's shape",
      async (api, model, _what, answer) => {
        upstream.answer = answer;
        await expectUpstreamFailed(api, await outcome(api, model, false));
      },
    );

    it.each(
      (['chat', 'messages', 'embeddings'] as Api[]).flatMap(api =>
        [false, true]
          .filter(stream => api !== 'embeddings' || !stream)
          .map(stream => [api, stream]),
      ) as Array<[Api, boolean]>,
    )(
      '%s (stream %s): a 429 whose Retry-After is garbage is a 503 with a Retry-After in seconds, counted against the upstream',
      async (api, stream) => {
        upstream.answer = (_req, res) =>
          res
            .writeHead(429, {
              'content-type': 'application/json',
              'retry-after': 'soon-ish; <script>',
            })
            .end('{"error":{"message":"slow down"}}');
        const response = await send(api, 'gpt-4o-mini', stream);
        expect(response.status).toBe(503);
        expect(response.headers.get('retry-after')).toMatch(/^\d+$/);
        const text = await response.text();
        expect(text).not.toMatch(STACK);
        expect(text).not.toContain('script');
        errorOf(api, text);
        const profile = api === 'embeddings' ? 'eu-embed' : 'us-small';
        expect(gateway.deps.health.get(profile).breaker.state).toBe('open');
        await eventually(() => sink.usage().length === 1);
        expect(sink.decisions()).toHaveLength(1);
        expect(limiter.settled).toHaveLength(1);
        expect(limiter.settled[0].costUsd).toBe(0);
      },
    );

    describe('usage that is no count is not charged: the tokenizer counts, within the bound', () => {
      const BAD_COUNTS: Array<[string, string, string]> = [
        ['1e308', '1e308', '1e308'],
        ['a count beyond 2^53', '3', '9007199254740993'],
        ['a fractional count', '3.5', '2'],
        ['a count in a string', '"3"', '"2"'],
        ['a negative zero and null', '-0', 'null'],
      ];

      // Each count through two of the APIs, protocols and modes, in turn.
      it.each(
        BAD_COUNTS.flatMap(([what, input, output], i) =>
          [0, 1].map(k => {
            const [api, model] = CHAT_APIS[(2 * i + k) % CHAT_APIS.length];
            return [api, model, (i + k) % 2 === 1, what, input, output];
          }),
        ) as Array<[Api, Model, boolean, string, string, string]>,
      )(
        '%s via %s (stream %s): %s',
        async (api, model, stream, _what, input, output) => {
          if (model === 'gpt-4o-mini') {
            upstream.answer = stream
              ? reply(
                  sse([
                    openAiChunk({ role: 'assistant', content: 'hi there' }),
                    openAiChunk({}, 'stop'),
                    openAiUsage(input, output),
                    'data: [DONE]',
                  ]),
                  SSE,
                )
              : reply(
                  openAiJson(
                    `{"prompt_tokens":${input},"completion_tokens":${output}}`,
                  ),
                );
          } else {
            upstream.answer = stream
              ? reply(sse(anthropicEvents(input, output)), SSE)
              : reply(
                  anthropicJson(
                    `{"input_tokens":${input},"output_tokens":${output}}`,
                  ),
                );
          }
          const result = await outcome(api, model, stream);
          expect(result.status).toBe(200);
          // The translated APIs report the tokens charged (chat relays the upstream's).
          expect(api === 'chat' ? '' : result.text).not.toMatch(
            /1e\+?308|Infinity|NaN/,
          );
          expect(result.usage[0]).toMatchObject({
            status: 200,
            tokensEstimated: true,
          });
          expect(result.usage[0].outputTokens).toBeGreaterThan(0);
          expect(result.usage[0].outputTokens).toBeLessThanOrEqual(16);
          await expectAccounted(result);
        },
      );

      it.each([false, true])(
        'chat via claude-haiku (stream %s): usage the gateway writes is counts, never null or 1e+308',
        async stream => {
          upstream.answer = stream
            ? reply(sse(anthropicEvents('1e308', '1e308')), SSE)
            : reply(
                anthropicJson('{"input_tokens":1e308,"output_tokens":1e308}'),
              );
          const response = await fetch(`${url}${PATH.chat}`, {
            method: 'POST',
            headers: {
              authorization: `Bearer ${KEYS.brightpath}`,
              'content-type': 'application/json',
            },
            body: JSON.stringify({
              ...bodyFor('chat', 'claude-haiku', stream),
              ...(stream ? { stream_options: { include_usage: true } } : {}),
            }),
          });
          expect(response.status).toBe(200);
          const text = await response.text();
          const usages = (
            stream
              ? dispatchedEvents(text)
                  .map(event => event.slice('data: '.length))
                  .filter(data => data.startsWith('{'))
                  .map(data => JSON.parse(data).usage)
              : [JSON.parse(text).usage]
          ).filter(Boolean);
          // Usage that is no count is left out (the tokenizer charges), never relayed as such.
          expect(text).not.toMatch(/1e\+?308|null,"total|"total_tokens":null/);
          expect(usages.length).toBeLessThanOrEqual(1);
          for (const usage of usages) {
            for (const field of [
              'prompt_tokens',
              'completion_tokens',
              'total_tokens',
            ]) {
              expect(Number.isSafeInteger(usage[field])).toBe(true);
            }
          }
        },
      );

      it.each([
        ['1e308', '{"prompt_tokens":1e308,"total_tokens":1e308}'],
        ['a string', '{"prompt_tokens":"5","total_tokens":"5"}'],
        ['a negative count', '{"prompt_tokens":-5,"total_tokens":-5}'],
        ['2^31 - 1', '{"prompt_tokens":2147483647,"total_tokens":2147483647}'],
      ])('embeddings: %s', async (_what, usage) => {
        upstream.answer = reply(
          `{"object":"list","data":[{"object":"embedding","index":0,"embedding":[0.5]}],"model":"m","usage":${usage}}`,
        );
        const result = await outcome('embeddings', 'gpt-4o-mini', false);
        expect(result.status).toBe(200);
        expect(result.usage[0].inputTokens).toBeGreaterThan(0);
        expect(result.usage[0].inputTokens).toBeLessThan(1000);
        await expectAccounted(result);
      });
    });

    describe('answers of the wrong shape are a 502, never a 200', () => {
      /** Each case through the translated APIs: chat's are in badUpstream.test.ts. */
      const translated = <T>(rows: Array<[string, T]>) =>
        rows.flatMap(([what, answer]) =>
          (['responses', 'messages'] as Api[]).map(
            api => [api, what, answer] as [Api, string, T],
          ),
        );
      const WRONG: Array<[string, string]> = [
        [
          'no choice at all',
          '{"id":"c1","object":"chat.completion","choices":[]}',
        ],
        [
          'a choice without a message',
          '{"id":"c1","object":"chat.completion","choices":[{"index":0,"finish_reason":"stop"}]}',
        ],
        [
          'content that is a list of numbers',
          '{"id":"c1","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":[1,2]},"finish_reason":"stop"}]}',
        ],
        [
          "a tool call's id that is an object",
          '{"id":"c1","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":null,"tool_calls":[{"id":{"toString":1},"type":"function","function":{"name":"f","arguments":"{}"}}]},"finish_reason":"tool_calls"}]}',
        ],
      ];
      it.each(translated(WRONG))(
        '%s via an OpenAI upstream: %s',
        async (api, _what, body) => {
          upstream.answer = reply(body);
          await expectUpstreamFailed(
            api,
            await outcome(api, 'gpt-4o-mini', false),
          );
        },
      );

      const WRONG_STREAMS: Array<[string, string[]]> = [
        ['chunks without choices', ['data: {"id":"c1"}', 'data: [DONE]']],
        [
          'chunks with empty choices',
          ['data: {"id":"c1","choices":[]}', 'data: [DONE]'],
        ],
        [
          "a tool call's id that is an object",
          [
            'data: {"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":{"toString":1},"type":"function","function":{"name":"f","arguments":""}}]},"finish_reason":null}]}',
            'data: {"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}',
            'data: [DONE]',
          ],
        ],
      ];
      it.each(translated(WRONG_STREAMS))(
        '%s streamed via an OpenAI upstream: %s',
        async (api, _what, events) => {
          upstream.answer = reply(sse(events), SSE);
          await expectUpstreamFailed(
            api,
            await outcome(api, 'gpt-4o-mini', true),
          );
        },
      );

      it('embeddings: no embedding for the input asked', async () => {
        upstream.answer = reply(
          '{"object":"list","data":[],"model":"m","usage":{"prompt_tokens":1,"total_tokens":1}}',
        );
        await expectUpstreamFailed(
          'embeddings',
          await outcome('embeddings', 'gpt-4o-mini', false),
        );
      });

      it.each(['chat', 'responses', 'messages'] as Api[])(
        '%s: a JSON answer that is not UTF-8 is not relayed as a 200',
        async api => {
          upstream.answer = reply(
            Buffer.concat([
              Buffer.from(
                '{"id":"c1","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"hi ',
              ),
              Buffer.from([0xff, 0xfe, 0xc3]),
              Buffer.from(
                '"},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":2}}',
              ),
            ]),
          );
          const response = await send(api, 'gpt-4o-mini', false);
          const bytes = Buffer.from(await response.arrayBuffer());
          // A strict client (Python's json, Go's) cannot read bytes that are not UTF-8.
          expect(() =>
            new TextDecoder('utf-8', { fatal: true }).decode(bytes),
          ).not.toThrow();
        },
      );
    });

    it.each([
      ['chat', 'gpt-4o-mini', false],
      ['chat', 'gpt-4o-mini', true],
      ['responses', 'gpt-4o-mini', false],
    ] as Array<[Api, Model, boolean]>)(
      '%s via %s (stream %s): content in parts, without usage, is counted by the tokenizer, not charged as nothing',
      async (api, model, stream) => {
        const words = 'alpha beta gamma delta epsilon';
        const parts = [{ type: 'text', text: words }];
        upstream.answer = stream
          ? reply(
              sse([
                openAiChunk({ role: 'assistant', content: parts }),
                openAiChunk({}, 'stop'),
                'data: [DONE]',
              ]),
              SSE,
            )
          : reply(
              JSON.stringify({
                id: 'c1',
                object: 'chat.completion',
                created: 1,
                model: 'm',
                choices: [
                  {
                    index: 0,
                    message: { role: 'assistant', content: parts },
                    finish_reason: 'stop',
                  },
                ],
              }),
            );
        const result = await outcome(api, model, stream);
        // Relayed, and its text paid for.
        expect(result.status).toBe(200);
        expect(result.usage[0].outputTokens).toBeGreaterThanOrEqual(5);
        await expectAccounted(result);
      },
    );
  });
});
