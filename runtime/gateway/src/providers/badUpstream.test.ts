import type { ServerResponse } from 'node:http';
import {
  RawUpstream,
  UpstreamAnswer as Answer,
} from '../__testUtils__/RawUpstream';
import type { SimulatorServer } from '@cellport/simulator';
import { usageEventSchema, UsageEvent } from '@cellport/plugin-platform-common';
import {
  chatCompletion,
  eventually,
  KEYS,
  postChat,
  startGateway,
  startSimulator,
  testState,
} from '../__testUtils__/fixtures';
import type { Gateway } from '../createGateway';

// Real servers: generous limits so a loaded CI machine does not fail them.
jest.setTimeout(30_000);

const chunk = (content: string) =>
  `data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"${content}"},"finish_reason":null}]}`;

describe('an upstream that answers garbage gets the caller a 502, never a 200', () => {
  let simulator: SimulatorServer;
  let upstream: RawUpstream;
  let upstreamUrl: string;
  let gateway: Gateway;
  let url: string;
  let usage: () => UsageEvent[];

  beforeAll(async () => {
    simulator = await startSimulator();
    upstream = new RawUpstream();
    upstreamUrl = await upstream.start();
  });
  afterAll(async () => {
    await upstream.stop();
    await simulator.stop();
  });

  beforeEach(async () => {
    // Every profile is served by the raw upstream except eu-small, the agent's fallback.
    const state = testState(upstreamUrl);
    const euSmall = state.modelProfiles.find(p => p.id === 'eu-small')!;
    euSmall.endpoint = `${simulator.url}/v1`;
    let events;
    ({ gateway, url, events } = await startGateway(simulator.url, {
      state,
      // One failure opens a circuit: a failure that was not counted shows as a closed one.
      overrides: { breaker: { failureThreshold: 1, openMs: 60_000 } },
    }));
    usage = () => events.usage() as UsageEvent[];
  });
  afterEach(() => gateway.stop());

  const post = (body: object, key = KEYS.brightpath, init: RequestInit = {}) =>
    fetch(`${url}/v1/chat/completions`, {
      ...init,
      method: 'POST',
      headers: {
        authorization: `Bearer ${key}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({
        messages: [{ role: 'user', content: 'hello' }],
        ...body,
      }),
    });

  /**
   * What a request came to: its answer, the circuit of the one profile that can serve it
   * (us-small for brightpath's gpt-4o-mini, claude for claude-haiku) and its usage event.
   */
  async function outcome(
    model: 'gpt-4o-mini' | 'claude-haiku',
    stream: boolean,
  ) {
    const response = await post({ model, stream });
    const text = await response.text();
    const profile = model === 'gpt-4o-mini' ? 'us-small' : 'claude';
    await eventually(() => usage().length === 1);
    return {
      status: response.status,
      text,
      circuit: gateway.deps.health.get(profile).breaker.state,
      usage: usage()[0],
    };
  }

  /** A 502 the upstream is blamed for: one failure opened its circuit. */
  const upstreamFailed = {
    status: 502,
    text: expect.stringContaining('"code":"upstream_error"'),
    circuit: 'open',
    usage: expect.objectContaining({
      status: 502,
      errorClass: 'upstream-error',
    }),
  };

  const json =
    (body: string, type = 'application/json'): Answer =>
    (_req, res) =>
      res.writeHead(200, { 'content-type': type }).end(body);

  it.each([
    ['invalid JSON', 'not json {'],
    ['a truncated JSON object', '{"id":"c1","choices":[{"message":'],
    ['an empty body', ''],
    ['JSON that is not an object', '[1,2,3]'],
    ['an object that is no chat completion', '{}'],
    ['choices that are not an array', '{"choices":null,"usage":{}}'],
    // Shapes a caller's SDK cannot read, or the translated APIs would answer as empty.
    ['a choice that is not an object', '{"choices":[null]}'],
    ['a choice that is a number', '{"choices":[5]}'],
    [
      'content that is a number',
      '{"choices":[{"index":0,"message":{"content":123}}]}',
    ],
    [
      'tool calls that are not a list',
      '{"choices":[{"index":0,"message":{"tool_calls":"x"}}]}',
    ],
    [
      'a tool call that is null',
      '{"choices":[{"index":0,"message":{"tool_calls":[null]}}]}',
    ],
    [
      "a tool's name that is an object",
      '{"choices":[{"index":0,"message":{"tool_calls":[{"id":"a","function":{"name":{}}}]}}]}',
    ],
    [
      'a finish reason that is a number',
      '{"choices":[{"index":0,"message":{"content":"a"},"finish_reason":7}]}',
    ],
    ['no choice at all', '{"id":"c1","object":"chat.completion","choices":[]}'],
    [
      'a choice without a message',
      '{"choices":[{"index":0,"finish_reason":"stop"}]}',
    ],
    [
      'content that is a list of numbers',
      '{"choices":[{"index":0,"message":{"content":[1,2]},"finish_reason":"stop"}]}',
    ],
    [
      "a tool call's id that is an object",
      '{"choices":[{"index":0,"message":{"content":null,"tool_calls":[{"id":{"toString":1},"type":"function","function":{"name":"f","arguments":"{}"}}]},"finish_reason":"tool_calls"}]}',
    ],
  ])('openai: %s', async (_what, body) => {
    upstream.answer = json(body);
    expect(await outcome('gpt-4o-mini', false)).toEqual(upstreamFailed);
  });

  it('openai: a JSON answer that is not UTF-8', async () => {
    upstream.answer = (_req, res) =>
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(
          Buffer.concat([
            Buffer.from('{"choices":[{"index":0,"message":{"content":"hi '),
            Buffer.from([0xff, 0xfe, 0xc3]),
            Buffer.from('"},"finish_reason":"stop"}]}'),
          ]),
        );
    expect(await outcome('gpt-4o-mini', false)).toEqual(upstreamFailed);
  });

  it.each([
    [
      'a JSON answer',
      '{"choices":[{"index":0,"message":{"content":[{"type":"text","text":"alpha beta gamma delta epsilon"}]},"finish_reason":"stop"}]}',
    ],
    [
      'a stream',
      `data: {"choices":[{"index":0,"delta":{"content":[{"type":"text","text":"alpha beta gamma delta epsilon"}]},"finish_reason":null}]}\n\ndata: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\ndata: [DONE]\n\n`,
    ],
  ])(
    'openai: content in text parts, without usage, in %s is charged as the tokenizer counts it',
    async (what, body) => {
      const stream = what === 'a stream';
      upstream.answer = json(
        body,
        stream ? 'text/event-stream' : 'application/json',
      );
      const result = await outcome('gpt-4o-mini', stream);
      expect(result.status).toBe(200);
      expect(result.usage).toMatchObject({ tokensEstimated: true });
      expect(result.usage.outputTokens).toBeGreaterThanOrEqual(5);
    },
  );

  /** An embeddings request of northwind's, answered by eu-embed (the raw upstream) alone. */
  async function embeddingsOutcome() {
    const response = await postChat(
      url,
      { model: 'text-embedding-3-small', input: 'hello' },
      { path: '/v1/embeddings' },
    );
    return {
      status: response.status,
      text: await response.text(),
      circuit: gateway.deps.health.get('eu-embed').breaker.state,
    };
  }

  it.each([
    ['no data list', '{"object":"list","usage":{"prompt_tokens":1}}'],
    ['an item that is null', '{"object":"list","data":[null]}'],
    ['an item that is a number', '{"object":"list","data":[5]}'],
    [
      'an embedding that is an object',
      '{"object":"list","data":[{"object":"embedding","index":0,"embedding":{}}]}',
    ],
    [
      'an index that is text',
      '{"object":"list","data":[{"object":"embedding","index":"0","embedding":[0.5]}]}',
    ],
    [
      'no embedding for the input',
      '{"object":"list","data":[],"usage":{"prompt_tokens":1,"total_tokens":1}}',
    ],
  ])('openai embeddings: %s', async (_what, body) => {
    upstream.answer = json(body);
    expect(await embeddingsOutcome()).toEqual({
      status: 502,
      text: expect.stringContaining('"code":"upstream_error"'),
      circuit: 'open',
    });
  });

  it('relays embeddings as lists or as base64 text', async () => {
    for (const embedding of ['[0.5,-0.25]', '"AAAAPwAAgL4="']) {
      upstream.answer = json(
        `{"object":"list","data":[{"object":"embedding","index":0,"embedding":${embedding}}],"usage":{"prompt_tokens":1,"total_tokens":1}}`,
      );
      expect(await embeddingsOutcome()).toMatchObject({
        status: 200,
        circuit: 'closed',
      });
    }
  });

  it.each([
    ['invalid JSON', 'not json {'],
    ['JSON that is not a Messages answer', '{"error":"nope"}'],
    [
      'a text block whose text is a number',
      '{"content":[{"type":"text","text":5}]}',
    ],
    [
      'a tool_use block whose name is an object',
      '{"content":[{"type":"tool_use","id":"t","name":{},"input":{}}]}',
    ],
    [
      'a tool_use block whose id is an object',
      '{"content":[{"type":"tool_use","id":{"a":1},"name":"f","input":{}}]}',
    ],
    [
      'a Messages answer too deep to serialize',
      `{"id":${'['.repeat(10_000)}${']'.repeat(10_000)},"content":[]}`,
    ],
  ])('anthropic: %s', async (_what, body) => {
    upstream.answer = json(body);
    expect(await outcome('claude-haiku', false)).toEqual(upstreamFailed);
  });

  it.each([
    ['a JSON answer', json('{"id":"c1","choices":[]}')],
    ['an HTML page', json('<html>busy</html>', 'text/html')],
    [
      'garbage with an SSE content-type',
      json('hello world\n\n', 'text/event-stream'),
    ],
    ['a stream with no event', json('', 'text/event-stream')],
    ['a stream of [DONE] alone', json('data: [DONE]\n\n', 'text/event-stream')],
    [
      'an error event first',
      json(
        'data: {"error":{"message":"overloaded","type":"server_error"}}\n\n',
        'text/event-stream',
      ),
    ],
    [
      'an event that is not JSON',
      json('data: {"choices":[{oops}]}\n\n', 'text/event-stream'),
    ],
    [
      'garbage that never ends an event',
      json(`${'x'.repeat(100)}\n`, 'text/event-stream'),
    ],
    [
      'choices that are not a list',
      json('data: {"choices":"x"}\n\n', 'text/event-stream'),
    ],
    [
      'a delta whose content is a number',
      json(
        'data: {"choices":[{"index":0,"delta":{"content":5}}]}\n\n',
        'text/event-stream',
      ),
    ],
    [
      'chunks without choices, then [DONE]',
      json('data: {"id":"c1"}\n\ndata: [DONE]\n\n', 'text/event-stream'),
    ],
    [
      'chunks with empty choices, then [DONE]',
      json(
        'data: {"id":"c1","choices":[]}\n\ndata: [DONE]\n\n',
        'text/event-stream',
      ),
    ],
  ])('openai stream: %s', async (_what, answer) => {
    upstream.answer = answer;
    expect(await outcome('gpt-4o-mini', true)).toEqual(upstreamFailed);
  });

  it.each([
    ['an HTML page', json('<html>busy</html>', 'text/html')],
    [
      'garbage with an SSE content-type',
      json('hello\n\n', 'text/event-stream'),
    ],
    [
      'an event that is not JSON',
      json('event: message_start\ndata: {oops}\n\n', 'text/event-stream'),
    ],
    [
      'an event too deep to translate',
      json(
        `data: {"type":"message_start","message":{"id":${'['.repeat(
          10_000,
        )}${']'.repeat(10_000)}}}\n\n`,
        'text/event-stream',
      ),
    ],
    [
      'tool input for a block it never started',
      json(
        'data: {"type":"message_start","message":{"id":"m","model":"c","usage":{"input_tokens":1}}}\n\n' +
          'data: {"type":"content_block_delta","index":3,"delta":{"type":"input_json_delta","partial_json":5}}\n\n',
        'text/event-stream',
      ),
    ],
    // A stop out of order would reach the caller as a complete, empty answer.
    [
      'message_stop alone',
      json('data: {"type":"message_stop"}\n\n', 'text/event-stream'),
    ],
    [
      'a stop reason and a stop without the start',
      json(
        'data: {"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":1}}\n\n' +
          'data: {"type":"message_stop"}\n\n',
        'text/event-stream',
      ),
    ],
    [
      'a start, a delta without a stop reason, and a stop',
      json(
        'data: {"type":"message_start","message":{"id":"m","model":"c","usage":{"input_tokens":1}}}\n\n' +
          'data: {"type":"message_delta","delta":{},"usage":{"output_tokens":0}}\n\n' +
          'data: {"type":"message_stop"}\n\n',
        'text/event-stream',
      ),
    ],
    [
      'a start and a stop without the stop reason',
      json(
        'data: {"type":"message_start","message":{"id":"m","model":"c","usage":{"input_tokens":1}}}\n\n' +
          'data: {"type":"message_stop"}\n\n',
        'text/event-stream',
      ),
    ],
  ])('anthropic stream: %s', async (_what, answer) => {
    upstream.answer = answer;
    expect(await outcome('claude-haiku', true)).toEqual(upstreamFailed);
  });

  it('falls back to the next upstream, counting the failure against the first', async () => {
    upstream.answer = json('not json {');
    const response = await post(
      { model: 'gpt-4o', max_tokens: 8 },
      KEYS.northwindAgent,
    );
    expect(response.status).toBe(200);
    expect((await response.json()).choices[0].message.content).toBeTruthy();
    expect(gateway.deps.health.get('eu-large').breaker.state).toBe('open');
    await eventually(() => usage().length === 1);
    expect(usage()[0]).toMatchObject({
      status: 200,
      modelProfile: 'eu-small',
    });
  });

  it('charges an answer that broke off after its 200 what it reserved, and bills no fallback for it again', async () => {
    upstream.answer = (_req, res) => {
      const body = JSON.stringify({
        id: 'c1',
        object: 'chat.completion',
        choices: [{ index: 0, message: { role: 'assistant', content: 'x' } }],
      });
      res.writeHead(200, {
        'content-type': 'application/json',
        'content-length': String(body.length),
      });
      res.write(body.slice(0, 20));
      setTimeout(() => res.destroy(), 20);
    };
    const fallbackCalls = simulator.stats.snapshot().requests;
    const response = await post(
      { model: 'gpt-4o', max_tokens: 100 },
      KEYS.northwindAgent,
    );
    expect(response.status).toBe(502);
    expect((await response.json()).error.message).toContain('broke off');
    await eventually(() => usage().length === 1);
    // eu-large at $2.50/$10: the prompt's bound and all 100 output tokens.
    const [event] = usage();
    expect(event).toMatchObject({
      modelProfile: 'eu-large',
      outputTokens: 100,
      tokensEstimated: true,
    });
    expect(event.costUsd).toBeCloseTo(
      (event.inputTokens * 2.5 + 100 * 10) / 1e6,
      12,
    );
    expect(simulator.stats.snapshot().requests).toBe(fallbackCalls);
    // The upstream's fault: its circuit heard of it.
    expect(gateway.deps.health.get('eu-large').breaker.state).toBe('open');
  });

  it('charges a JSON answer whose caller left while the upstream worked on it', async () => {
    let answered = false;
    upstream.answer = (_req, res) =>
      setTimeout(() => {
        answered = true;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{}');
      }, 400);
    const leave = new AbortController();
    const calls = upstream.calls;
    const call = post({ model: 'gpt-4o', max_tokens: 50 }, KEYS.northwind, {
      signal: leave.signal,
    }).catch(() => 'left');
    await eventually(() => upstream.calls === calls + 1);
    leave.abort();
    expect(await call).toBe('left');
    await eventually(() => usage().length === 1);
    const [event] = usage();
    expect(event).toMatchObject({
      modelProfile: 'eu-large',
      outcome: 'cancelled',
      outputTokens: 50,
      tokensEstimated: true,
    });
    expect(event.costUsd).toBeGreaterThan(0);
    const [spent] = await gateway.deps.limiter.monthSpendUsd(
      ['northwind'],
      Date.now(),
    );
    expect(spent).toBeCloseTo(event.costUsd, 9);
    // Not the upstream's fault: its circuit stays closed.
    expect(gateway.deps.health.get('eu-large').breaker.state).toBe('closed');
    await eventually(() => answered);
  });

  it.each([
    [
      'an error event',
      'data: {"error":{"message":"overloaded","type":"server_error"}}\n\n',
    ],
    ['an event that is not JSON', 'data: {"choices":[oops]}\n\n'],
  ])(
    'a Responses or Messages stream whose first upstream event is %s falls back before answering',
    async (_what, first) => {
      upstream.answer = json(first, 'text/event-stream');
      for (const [path, expected] of [
        ['/v1/responses', /event: response\.(completed|incomplete)\n/],
        ['/v1/messages', /event: message_stop\n/],
      ]) {
        const response = await fetch(`${url}${path}`, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${KEYS.northwindAgent}`,
            'content-type': 'application/json',
          },
          body: JSON.stringify(
            path === '/v1/responses'
              ? {
                  model: 'gpt-4o',
                  stream: true,
                  input: 'hello',
                  max_output_tokens: 16,
                }
              : {
                  model: 'gpt-4o',
                  stream: true,
                  max_tokens: 16,
                  messages: [{ role: 'user', content: 'hello' }],
                },
          ),
        });
        expect(response.status).toBe(200);
        const text = await response.text();
        expect(text).toMatch(expected);
        expect(text).toContain('eu-small-model');
        expect(text).not.toContain('event: error');
      }
      expect(gateway.deps.health.get('eu-large').breaker.state).toBe('open');
    },
  );

  const COMPLETE_ANSWERS: Array<
    [string, 'gpt-4o-mini' | 'claude-haiku', string[]]
  > = [
    [
      'openai',
      'gpt-4o-mini',
      [
        `${chunk('Hello')}\n\n`,
        'data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}}\n\n',
        'data: [DONE]\n\n',
      ],
    ],
    [
      'anthropic',
      'claude-haiku',
      [
        'data: {"type":"message_start","message":{"id":"m","model":"c","usage":{"input_tokens":3}}}\n\n',
        'data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}\n\n',
        'data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello"}}\n\n',
        'data: {"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":1}}\n\n',
        'data: {"type":"message_stop"}\n\n',
      ],
    ],
  ];

  it.each(
    COMPLETE_ANSWERS.flatMap(([provider, model, answer]) => [
      [provider, 'goes on', model, answer],
      [provider, 'breaks the connection', model, answer],
    ]),
  )(
    '%s stream: an upstream that %s after its answer ended: nothing more is relayed or charged, and the answer stands',
    async (_provider, then, model, answer) => {
      const after = [
        `${chunk('AFTER')}\n\n`,
        'data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"AFTER"}}\n\n',
        'data: {"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":900}}\n\n',
        'data: {"type":"message_stop"}\n\n',
        'data: [DONE]\n\n',
      ];
      upstream.answer = (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        for (const event of answer as string[]) res.write(event);
        // Apart from the end, as an upstream that goes on would send it.
        setTimeout(
          () => (then === 'goes on' ? res.end(after.join('')) : res.destroy()),
          50,
        );
      };
      const response = await post({
        model,
        stream: true,
        max_tokens: 1000,
        stream_options: { include_usage: true },
      });
      expect(response.status).toBe(200);
      const text = await response.text();
      expect(text).toContain('"content":"Hello"');
      expect(text).not.toContain('AFTER');
      expect(text.match(/\[DONE\]/g)).toHaveLength(1);
      expect(text.endsWith('data: [DONE]\n\n')).toBe(true);
      await eventually(() => usage().length === 1);
      expect(usage()[0]).toMatchObject({
        status: 200,
        outcome: 'success',
        outputTokens: 1,
        tokensEstimated: false,
      });
      const profile = model === 'gpt-4o-mini' ? 'us-small' : 'claude';
      expect(gateway.deps.health.get(profile).breaker.state).toBe('closed');
    },
  );

  it('garbage mid-stream ends the stream with an error event, counted as a failure', async () => {
    let release!: () => void;
    const released = new Promise<void>(resolve => {
      release = resolve;
    });
    upstream.answer = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(`${chunk('Hello')}\n\n`);
      // The garbage comes once the caller has the first event, so it is truly mid-stream.
      released.then(() => res.end('<html>proxy error</html>\n\n'));
    };
    const response = await post({ model: 'gpt-4o-mini', stream: true });
    expect(response.status).toBe(200);
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
      if (text.includes('"content":"Hello"')) release();
    }
    // The body ends cleanly (no network error): the last event says what happened.
    const events = text.trim().split('\n\n');
    expect(events[0]).toContain('"content":"Hello"');
    expect(events).toHaveLength(2);
    const error = JSON.parse(events[1].slice('data: '.length)).error;
    expect(error).toMatchObject({
      type: 'api_error',
      code: 'upstream_stream_broken',
    });
    expect(error.message).toContain('not SSE');
    expect(gateway.deps.health.get('us-small').breaker.state).toBe('open');
    await eventually(() => usage().length === 1);
    expect(usage()[0]).toMatchObject({
      status: 502,
      errorClass: 'upstream-error',
    });
  });

  it.each([
    ['inflated', 2_000_000_000, 2_000_000_000, 'ok'],
    // An upstream that ignored max_tokens and wrote more: charged what it wrote, a token a byte.
    ['beyond max_tokens', 5, 400, 'x'.repeat(300)],
  ])(
    'charges an upstream count out of bounds (%s) as far as the request could use',
    async (_what, prompt, completion, content) => {
      upstream.answer = (_req, res) =>
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(chatCompletion({ content }, { prompt, completion }));
      const body = { model: 'gpt-4o-mini', max_tokens: 10 };
      const response = await post(body);
      expect(response.status).toBe(200);
      await eventually(() => usage().length === 1);
      const [event] = usage();
      const sent = JSON.stringify({
        messages: [{ role: 'user', content: 'hello' }],
        ...body,
      });
      expect(event.inputTokens).toBeLessThanOrEqual(
        Math.min(prompt, Buffer.byteLength(sent)),
      );
      expect(event.outputTokens).toBe(
        Math.min(completion, Math.max(10, Buffer.byteLength(content))),
      );
    },
  );

  it('relays the good events read together with a mid-stream error event before the error', async () => {
    let release!: () => void;
    const released = new Promise<void>(resolve => {
      release = resolve;
    });
    upstream.answer = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(`${chunk('Hello')}\n\n`);
      // One write: the good event and the error arrive in the same read.
      released.then(() =>
        res.end(
          `${chunk(' world')}\n\ndata: {"error":{"type":"server_error"}}\n\n`,
        ),
      );
    };
    const response = await post({ model: 'gpt-4o-mini', stream: true });
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
      if (text.includes('"content":"Hello"')) release();
    }
    const events = text.trim().split('\n\n');
    expect(events).toHaveLength(3);
    expect(events[1]).toContain('"content":" world"');
    expect(JSON.parse(events[2].slice('data: '.length)).error).toMatchObject({
      code: 'upstream_stream_broken',
    });
  });

  /**
   * Streams `first` at once and `rest` only once the caller has read `seen`, or after a
   * bounded wait: a gateway that held events back would let them through only then. What the
   * caller read, and whether `seen` reached it before the rest left the upstream.
   */
  async function streamInTwoParts(
    first: string,
    rest: (res: ServerResponse) => void,
    seen: string,
  ) {
    let release!: () => void;
    const released = new Promise<void>(resolve => {
      release = resolve;
    });
    let sentRestBy: 'client' | 'timeout' | undefined;
    upstream.answer = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(first);
      const timer = setTimeout(() => {
        sentRestBy ??= 'timeout';
        release();
      }, 5_000);
      released.then(() => {
        clearTimeout(timer);
        sentRestBy ??= 'client';
        rest(res);
      });
    };
    const response = await post({ model: 'gpt-4o-mini', stream: true });
    expect(response.status).toBe(200);
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    while (!text.includes(seen)) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
    const seenBeforeRest = sentRestBy === undefined;
    release();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
    return { text, seenBeforeRest, sentRestBy };
  }

  it('streams an answer whose text names the end of a stream as it comes', async () => {
    const { text, seenBeforeRest } = await streamInTwoParts(
      `${chunk('SSE ends with data: [DONE] or event: message_stop')}\n\n`,
      res => res.end(`${chunk(' indeed')}\n\ndata: [DONE]\n\n`),
      'or event: message_stop',
    );
    expect(seenBeforeRest).toBe(true);
    expect(text).toContain('data: [DONE]');
  });

  it('relays CRLF-framed events one by one, not at the end of the stream', async () => {
    const { text, seenBeforeRest, sentRestBy } = await streamInTwoParts(
      `${chunk('first')}\r\n\r\n`,
      res => {
        // A CRLF split across two writes.
        res.write(`${chunk('second')}\r\n\r`);
        setImmediate(() => res.end('\ndata: [DONE]\r\n\r\n'));
      },
      '"content":"first"',
    );
    expect(seenBeforeRest).toBe(true);
    expect(sentRestBy).toBe('client');
    expect(text).not.toContain('\r');
    expect(text.split('\n\n').filter(Boolean)).toEqual([
      chunk('first'),
      chunk('second'),
      'data: [DONE]',
    ]);
  });

  it.each([
    ['openai', 'gpt-4o-mini'],
    ['anthropic', 'claude-haiku'],
  ] as const)(
    '%s stream: an upstream that closes cleanly before its answer finished gets an error event, counted as a failure',
    async (_provider, model) => {
      upstream.answer = (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.end(
          model === 'gpt-4o-mini'
            ? `${chunk('Hello')}\n\n`
            : 'event: message_start\ndata: {"type":"message_start","message":{"id":"msg_1","model":"m","usage":{"input_tokens":3}}}\n\n' +
                'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello"}}\n\n',
        );
      };
      const {
        status,
        text,
        circuit,
        usage: event,
      } = await outcome(model, true);
      expect(status).toBe(200);
      const events = text.trim().split('\n\n');
      expect(text).toContain('"content":"Hello"');
      expect(
        JSON.parse(events[events.length - 1].slice(6)).error,
      ).toMatchObject({
        code: 'upstream_stream_broken',
        message: expect.stringContaining('before its answer finished'),
      });
      expect(circuit).toBe('open');
      expect(event).toMatchObject({
        status: 502,
        errorClass: 'upstream-error',
      });
    },
  );

  describe('without usage from the upstream, the tokenizer counts all that was generated and asked', () => {
    const ARGS = '{\\"city\\":\\"Zürich\\",\\"days\\":[1,2,3]}';
    const TOOLS = [
      {
        type: 'function',
        function: {
          name: 'forecast',
          description: 'The weather forecast for a city, day by day',
          parameters: {
            type: 'object',
            properties: { city: { type: 'string' }, days: { type: 'array' } },
          },
        },
      },
    ];
    const count = (text: string) => gateway.deps.tokens.count(text);
    // gpt-4o is us-large (the small one takes no tools), claude-haiku the Anthropic profile.
    const ask = async (model: string, stream: boolean, n?: number) => {
      const before = usage().length;
      const response = await post({ model, stream, n, tools: TOOLS });
      await response.text();
      await eventually(() => usage().length === before + 1);
      return usage()[before];
    };

    it('counts every choice of a JSON answer, tool calls included, and the tool definitions asked', async () => {
      const choice = (index: number) =>
        `{"index":${index},"message":{"role":"assistant","content":"alpha beta gamma","tool_calls":[{"id":"call_${index}","type":"function","function":{"name":"forecast","arguments":"${ARGS}"}}]},"finish_reason":"tool_calls"}`;
      upstream.answer = json(
        `{"id":"c1","object":"chat.completion","created":1,"model":"m","choices":[${[
          0, 1, 2,
        ]
          .map(choice)
          .join(',')}]}`,
      );
      const event = await ask('gpt-4o', false, 3);
      expect(event.tokensEstimated).toBe(true);
      const one = count(`alpha beta gammaforecast${JSON.parse(`"${ARGS}"`)}`);
      expect(event.outputTokens).toBeGreaterThanOrEqual(3 * one - 3);
      expect(event.inputTokens).toBeGreaterThanOrEqual(
        count(JSON.stringify(TOOLS)),
      );
    });

    it('counts each image of the prompt at the allowance its reservation held, not as nothing', async () => {
      upstream.answer = json(
        '{"id":"c1","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"two cats"},"finish_reason":"stop"}]}',
      );
      const image = {
        type: 'image_url',
        image_url: { url: 'https://example.com/cat.png', detail: 'high' },
      };
      const before = usage().length;
      const response = await post({
        model: 'gpt-4o',
        messages: [
          {
            role: 'user',
            content: [{ type: 'text', text: 'what is in them?' }, image, image],
          },
        ],
      });
      expect(response.status).toBe(200);
      await eventually(() => usage().length === before + 1);
      const event = usage()[before];
      expect(event.tokensEstimated).toBe(true);
      expect(event.inputTokens).toBeGreaterThanOrEqual(2 * 3_000);
    });

    it('counts the tool calls of a stream, OpenAI and Anthropic alike', async () => {
      const args = JSON.parse(`"${ARGS}"`) as string;
      upstream.answer = json(
        [
          `{"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"forecast","arguments":""}}]},"finish_reason":null}]}`,
          `{"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"${ARGS}"}}]},"finish_reason":null}]}`,
          '{"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}',
          '[DONE]',
        ]
          .map(event => `data: ${event}\n\n`)
          .join(''),
        'text/event-stream',
      );
      const openAi = await ask('gpt-4o', true);
      expect(openAi.tokensEstimated).toBe(true);
      expect(openAi.outputTokens).toBeGreaterThanOrEqual(count(args));

      upstream.answer = json(
        [
          '{"type":"message_start","message":{"id":"msg_1","model":"m","usage":{"input_tokens":5}}}',
          '{"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":"toolu_1","name":"forecast","input":{}}}',
          `{"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":"${ARGS}"}}`,
          '{"type":"content_block_stop","index":0}',
          '{"type":"message_delta","delta":{"stop_reason":"tool_use"}}',
          '{"type":"message_stop"}',
        ]
          .map(event => `data: ${event}\n\n`)
          .join(''),
        'text/event-stream',
      );
      const anthropic = await ask('claude-haiku', true);
      expect(anthropic.tokensEstimated).toBe(true);
      expect(anthropic.outputTokens).toBeGreaterThanOrEqual(count(args));
    });
  });

  it.each([
    [
      '/v1/messages',
      { messages: [{ role: 'user', content: 'hello' }], max_tokens: 16 },
    ],
    ['/v1/responses', { input: 'hello', max_output_tokens: 16 }],
  ])(
    '%s answers with the tokens charged, not counts beyond what the request could use',
    async (path, ask) => {
      upstream.answer = json(
        '{"id":"c1","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"hi there"},"finish_reason":"stop"}],"usage":{"prompt_tokens":2000000000,"completion_tokens":2000000000,"total_tokens":4000000000}}',
      );
      const response = await postChat(
        url,
        { model: 'gpt-4o-mini', ...ask },
        { key: KEYS.brightpath, path },
      );
      expect(response.status).toBe(200);
      const answer = await response.json();
      await eventually(() => usage().length === 1);
      const [charged] = usage();
      expect(charged.outputTokens).toBe(16);
      expect(answer.usage).toMatchObject({
        input_tokens: charged.inputTokens,
        output_tokens: charged.outputTokens,
      });
    },
  );

  describe('usage that is not a count is not charged: the tokenizer counts instead', () => {
    const openAiJson = (counts: string) =>
      json(
        `{"id":"c1","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"hi there"},"finish_reason":"stop"}],"usage":${counts}}`,
      );
    const openAiStream = (counts: string) =>
      json(
        `${chunk(
          'hi there',
        )}\n\ndata: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\n` +
          `data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[],"usage":${counts}}\n\ndata: [DONE]\n\n`,
        'text/event-stream',
      );
    const anthropicJson = (input: string, output: string) =>
      json(
        `{"id":"msg_1","type":"message","role":"assistant","model":"m","content":[{"type":"text","text":"hi there"}],"stop_reason":"end_turn","usage":{"input_tokens":${input},"output_tokens":${output}}}`,
      );
    const anthropicStream = (input: string, output: string) =>
      json(
        [
          `{"type":"message_start","message":{"id":"msg_1","model":"m","usage":{"input_tokens":${input}}}}`,
          '{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}',
          '{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"hi there"}}',
          '{"type":"content_block_stop","index":0}',
          `{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":${output}}}`,
          '{"type":"message_stop"}',
        ]
          .map(event => `data: ${event}\n\n`)
          .join(''),
        'text/event-stream',
      );
    const negative = '{"prompt_tokens":-1000000,"completion_tokens":-1000000}';
    const text = '{"prompt_tokens":10,"completion_tokens":"abc"}';
    const fractional = '{"prompt_tokens":1.5,"completion_tokens":2}';

    it.each([
      ['openai', 'negative counts', 'gpt-4o-mini', false, openAiJson(negative)],
      ['openai', 'a count in a string', 'gpt-4o-mini', false, openAiJson(text)],
      [
        'openai',
        'a fractional count',
        'gpt-4o-mini',
        false,
        openAiJson(fractional),
      ],
      [
        'openai',
        'no completion count',
        'gpt-4o-mini',
        false,
        openAiJson('{"prompt_tokens":10}'),
      ],
      [
        'anthropic',
        'no usage at all',
        'claude-haiku',
        false,
        json(
          '{"id":"msg_1","type":"message","role":"assistant","model":"m","content":[{"type":"text","text":"hi there"}],"stop_reason":"end_turn"}',
        ),
      ],
      [
        'openai stream',
        'negative counts',
        'gpt-4o-mini',
        true,
        openAiStream(negative),
      ],
      [
        'openai stream',
        'a count in a string',
        'gpt-4o-mini',
        true,
        openAiStream(text),
      ],
      [
        'anthropic',
        'negative counts',
        'claude-haiku',
        false,
        anthropicJson('-1000000', '-5'),
      ],
      [
        'anthropic',
        'a count in a string',
        'claude-haiku',
        false,
        anthropicJson('3', '"abc"'),
      ],
      [
        'anthropic stream',
        'negative counts',
        'claude-haiku',
        true,
        anthropicStream('-1000000', '-5'),
      ],
      [
        'anthropic stream',
        'a count in a string',
        'claude-haiku',
        true,
        anthropicStream('3', '"abc"'),
      ],
    ] as const)('%s: %s', async (_provider, _what, model, stream, answer) => {
      upstream.answer = answer;
      const { status, usage: event } = await outcome(model, stream);
      expect(status).toBe(200);
      // What the portal accepts: counts and a cost that are non-negative numbers.
      expect(usageEventSchema.safeParse(event).error).toBeUndefined();
      expect(event).toMatchObject({
        tokensEstimated: true,
        outcome: 'success',
        outputTokens: expect.any(Number),
      });
      expect(event.outputTokens).toBeGreaterThan(0);
    });
  });
});

describe('an upstream answer too large to hold', () => {
  let upstream: RawUpstream;
  let gateway: Gateway;
  let url: string;
  let usage: () => UsageEvent[];

  beforeAll(async () => {
    upstream = new RawUpstream();
    const upstreamUrl = await upstream.start();
    let events;
    ({ gateway, url, events } = await startGateway(upstreamUrl, {
      state: testState(upstreamUrl),
      // Streams may idle long: a refusal that never ends must not wait for this.
      config: {
        upstreamMaxAnswerBytes: 64 * 1024,
        upstreamIdleTimeoutMs: 60_000,
      },
      // One failure opens a circuit: a failure that was not counted shows as a closed one.
      overrides: { breaker: { failureThreshold: 1, openMs: 60_000 } },
    }));
    usage = () => events.usage() as UsageEvent[];
  });
  afterAll(async () => {
    await gateway.stop();
    await upstream.stop();
  });

  it('is cut off: the caller gets a 502 and the request pays what it reserved, as the upstream did the work', async () => {
    // Valid JSON, a completion padded far beyond the cap (logprobs of many choices are so).
    upstream.answer = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          id: 'c1',
          object: 'chat.completion',
          choices: [
            {
              index: 0,
              message: { role: 'assistant', content: 'x'.repeat(300_000) },
            },
          ],
          usage: {
            prompt_tokens: 10,
            completion_tokens: 100,
            total_tokens: 110,
          },
        }),
      );
    };
    const response = await postChat(
      url,
      {
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'a long answer, twice' }],
        max_tokens: 100,
        n: 2,
      },
      { key: KEYS.brightpath },
    );
    expect(response.status).toBe(502);
    expect(await response.json()).toMatchObject({
      error: {
        code: 'upstream_error',
        message: expect.stringContaining('larger than the gateway relays'),
      },
    });
    await eventually(() => usage().length === 1);
    const [event] = usage();
    // us-small: every output token of both choices, and the prompt's bound, at its prices.
    expect(event).toMatchObject({
      modelProfile: 'us-small',
      tokensEstimated: true,
      outputTokens: 200,
      outcome: 'error',
    });
    expect(event.inputTokens).toBeGreaterThan(0);
    expect(event.costUsd).toBeCloseTo(
      (event.inputTokens * 0.15 + 200 * 0.6) / 1e6,
      12,
    );
    const [spent] = await gateway.deps.limiter.monthSpendUsd(
      ['brightpath'],
      Date.now(),
    );
    expect(spent).toBeCloseTo(event.costUsd, 9);
    // Not the upstream's fault: its circuit stays closed.
    expect(gateway.deps.health.get('us-small').breaker.state).toBe('closed');
    // The upstream that answered is named in its operation's duration, as the semantic
    // conventions require of every operation that reached one.
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(
      /^gen_ai_client_operation_duration_seconds_count\{gen_ai_operation_name="chat",gen_ai_provider_name="[^"]+",gen_ai_request_model="us-small-model",error_type="upstream-error"\} 1$/m,
    );
  });

  it('stops reading a refusal past its first MiB and answers by its status', async () => {
    // A 500 that goes on and on: the gateway must not wait for its end.
    upstream.answer = (_req, res) => {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.write(Buffer.alloc(2 * 1024 * 1024, 'x'));
    };
    const response = await postChat(
      url,
      {
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'refuse me at length' }],
      },
      { signal: AbortSignal.timeout(20_000) },
    );
    expect(response.status).toBe(502);
    expect((await response.json()).error.message).toContain(
      'upstream failed (500)',
    );
  });
});
