/**
 * Streams through chat completions, the Responses API and the Messages API from an
 * OpenAI-protocol upstream: a real HTTP server that writes the bytes each test scripts, some
 * cut every few bytes so that events and multi-byte characters fall apart across reads.
 * However the stream ends (finished, without `[DONE]`, broken by an upstream error event, or
 * left by its caller, before or after its first event), the caller gets a stream well-formed
 * for its API, the request is recorded once and charged what the caller was shown, and its
 * tenant's budget moves by exactly that charge.
 */
import type { UsageEvent } from '@cellport/plugin-platform-common';
import {
  eventually,
  KEYS,
  postChat,
  RecordingEventSink,
  startGateway,
  streamThenLeave,
  testState,
} from '../__testUtils__/fixtures';
import { RecordingUpstream } from '../__testUtils__/RecordingUpstream';
import {
  byteSlices,
  chatChunk,
  usageChunk,
  writeSlowly,
} from '../__testUtils__/scriptedStreams';
import {
  chatGrammar,
  messagesGrammar,
  parseSse,
  responsesGrammar,
} from '../__testUtils__/streamGrammar';
import type { Gateway } from '../createGateway';

// Real servers: generous limits so a loaded CI machine does not fail them.
jest.setTimeout(30_000);

type Api = 'chat' | 'responses' | 'messages';
const APIS: Api[] = ['chat', 'responses', 'messages'];

const PATH: Record<Api, string> = {
  chat: '/v1/chat/completions',
  responses: '/v1/responses',
  messages: '/v1/messages',
};

/** A streamed request of each API for `gpt-4o`, asking for at most 500 output tokens. */
const ASK: Record<Api, Record<string, unknown>> = {
  chat: {
    model: 'gpt-4o',
    stream: true,
    max_tokens: 500,
    messages: [{ role: 'user', content: 'hi' }],
  },
  responses: {
    model: 'gpt-4o',
    stream: true,
    max_output_tokens: 500,
    input: 'hi',
  },
  messages: {
    model: 'gpt-4o',
    stream: true,
    max_tokens: 500,
    messages: [{ role: 'user', content: 'hi' }],
  },
};

/** The grammar a complete stream of each API keeps: its violations, and the usage it shows. */
const GRAMMAR: Record<
  Api,
  (text: string) => { problems: string[]; usage?: any }
> = {
  chat: chatGrammar,
  responses: responsesGrammar,
  messages: messagesGrammar,
};

const tools = [
  {
    type: 'function',
    function: {
      name: 'lookup',
      parameters: { type: 'object', properties: { query: { type: 'string' } } },
    },
  },
  {
    type: 'function',
    function: {
      name: 'weather',
      parameters: { type: 'object', properties: { city: { type: 'string' } } },
    },
  },
];

/** Text, then two parallel tool calls whose argument deltas interleave; usage at the end. */
const PARALLEL_CALLS = [
  chatChunk([
    {
      index: 0,
      delta: { role: 'assistant', content: '' },
      finish_reason: null,
    },
  ]),
  chatChunk([
    { index: 0, delta: { content: 'Looking ' }, finish_reason: null },
  ]),
  chatChunk([
    {
      index: 0,
      delta: {
        tool_calls: [
          {
            index: 0,
            id: 'call_a',
            type: 'function',
            function: { name: 'lookup', arguments: '' },
          },
        ],
      },
      finish_reason: null,
    },
  ]),
  chatChunk([
    {
      index: 0,
      delta: {
        tool_calls: [
          {
            index: 1,
            id: 'call_b',
            type: 'function',
            function: { name: 'weather', arguments: '' },
          },
        ],
      },
      finish_reason: null,
    },
  ]),
  chatChunk([
    {
      index: 0,
      delta: {
        tool_calls: [{ index: 0, function: { arguments: '{"query":' } }],
      },
      finish_reason: null,
    },
  ]),
  chatChunk([
    {
      index: 0,
      delta: {
        tool_calls: [{ index: 1, function: { arguments: '{"city":"Z' } }],
      },
      finish_reason: null,
    },
  ]),
  chatChunk([
    {
      index: 0,
      delta: {
        tool_calls: [{ index: 0, function: { arguments: '"café ☕ 東京"}' } }],
      },
      finish_reason: null,
    },
  ]),
  chatChunk([
    {
      index: 0,
      delta: { tool_calls: [{ index: 1, function: { arguments: 'ürich"}' } }] },
      finish_reason: null,
    },
  ]),
  chatChunk([{ index: 0, delta: {}, finish_reason: 'tool_calls' }]),
  usageChunk(21, 17),
  'data: [DONE]\n\n',
].join('');

/** A text delta of the one choice, the first with the assistant's role. */
const textChunk = (content: string, first = false) =>
  chatChunk([
    {
      index: 0,
      delta: first ? { role: 'assistant', content } : { content },
      finish_reason: null,
    },
  ]);

/** Reads a streamed answer to its end, calling `onText` with all read so far after each read. */
async function readAll(
  response: Response,
  onText: (soFar: string) => void = () => undefined,
): Promise<string> {
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return text + decoder.decode();
    text += decoder.decode(value, { stream: true });
    onText(text);
  }
}

describe('streams translated from an OpenAI-protocol upstream', () => {
  let upstream: RecordingUpstream;
  let gateway: Gateway;
  let url: string;
  let events: RecordingEventSink;

  beforeAll(async () => {
    upstream = new RecordingUpstream();
    const upstreamUrl = await upstream.start();
    ({ gateway, url, events } = await startGateway(upstreamUrl, {
      state: testState(upstreamUrl),
    }));
  });
  afterAll(async () => {
    await gateway.stop();
    await upstream.stop();
  });
  beforeEach(() => {
    events.events.length = 0;
    upstream.forget();
  });

  const spent = () =>
    gateway.deps.limiter.spentUsdHint('brightpath', Date.now()) ?? 0;

  /** The request's one UsageEvent, with its one RoutingDecision. */
  async function oneUsage(): Promise<UsageEvent> {
    await eventually(() => events.usage().length >= 1);
    // A second event for the same request would be published by now: it must not come.
    await new Promise(resolve => setTimeout(resolve, 100));
    expect(events.usage()).toHaveLength(1);
    expect(events.decisions()).toHaveLength(1);
    return events.usage()[0] as UsageEvent;
  }

  /** The tenant's spend settles to exactly `cost` more than `before`. */
  async function budgetMoved(before: number, cost: number): Promise<void> {
    await eventually(() => Math.abs(spent() - before - cost) < 1e-9).catch(
      () => {
        throw new Error(
          `budget spent moved by ${
            spent() - before
          }, the UsageEvent says ${cost}`,
        );
      },
    );
  }

  it('chat: relays interleaved parallel tool calls split mid-character as the upstream sent them, usage where asked, and charges it', async () => {
    upstream.answer = (_req, res) =>
      void writeSlowly(res, byteSlices(PARALLEL_CALLS, 7), 1);
    const before = spent();
    const response = await postChat(
      url,
      {
        model: 'gpt-4o',
        stream: true,
        stream_options: { include_usage: true },
        tools,
        messages: [{ role: 'user', content: 'two tools please' }],
      },
      { key: KEYS.brightpath },
    );
    expect(response.status).toBe(200);
    const got = parseSse(await response.text());
    expect(got.map(e => e.data)).toEqual(
      parseSse(PARALLEL_CALLS).map(e => e.data),
    );
    const usage = await oneUsage();
    expect(usage).toMatchObject({
      status: 200,
      stream: true,
      inputTokens: 21,
      outputTokens: 17,
      tokensEstimated: false,
    });
    await budgetMoved(before, usage.costUsd);
  });

  it('chat: sends a caller that did not ask for usage no usage chunk, however the upstream spaces its JSON', async () => {
    // Python's json.dumps writes ", " and ": " separators, as some OpenAI-compatible servers do.
    const pyChunk = (obj: object) =>
      `data: ${JSON.stringify(obj)
        .replace(/":/g, '": ')
        .replace(/,"/g, ', "')}\n\n`;
    const base = {
      id: 'c',
      object: 'chat.completion.chunk',
      created: 1,
      model: 'm',
    };
    const body = [
      pyChunk({
        ...base,
        choices: [
          {
            index: 0,
            delta: { role: 'assistant', content: 'Hi' },
            finish_reason: null,
          },
        ],
      }),
      pyChunk({
        ...base,
        choices: [{ index: 0, delta: {}, finish_reason: 'stop' }],
      }),
      pyChunk({
        ...base,
        choices: [],
        usage: { prompt_tokens: 5, completion_tokens: 1, total_tokens: 6 },
      }),
      'data: [DONE]\n\n',
    ].join('');
    upstream.answer = (_req, res) => void writeSlowly(res, [body]);
    const response = await postChat(
      url,
      {
        model: 'gpt-4o',
        stream: true,
        messages: [{ role: 'user', content: 'hi' }],
      },
      { key: KEYS.brightpath },
    );
    const { problems, events: got } = chatGrammar(await response.text());
    expect(problems).toEqual([]);
    // OpenAI's SDKs index choices[0] of every chunk of a stream that did not ask for usage.
    expect(
      got
        .filter(e => e.data !== '[DONE]' && !(e.data.choices?.length > 0))
        .map(e => JSON.stringify(e.data)),
    ).toEqual([]);
    const usage = await oneUsage();
    expect(usage).toMatchObject({ inputTokens: 5, outputTokens: 1 });
  });

  it('responses: turns interleaved parallel tool calls split mid-character into well-formed typed events, showing the usage charged', async () => {
    upstream.answer = (_req, res) =>
      void writeSlowly(res, byteSlices(PARALLEL_CALLS, 7), 1);
    const before = spent();
    const response = await postChat(
      url,
      {
        model: 'gpt-4o',
        stream: true,
        input: 'two tools please',
        tools: tools.map(t => ({ type: 'function', ...t.function })),
      },
      { key: KEYS.brightpath, path: PATH.responses },
    );
    expect(response.status).toBe(200);
    const { problems, final } = responsesGrammar(await response.text());
    expect(problems).toEqual([]);
    expect(final.status).toBe('completed');
    expect(
      final.output.map((item: any) => [
        item.type,
        item.call_id ?? item.content?.[0]?.text,
        item.arguments,
      ]),
    ).toEqual([
      ['message', 'Looking ', undefined],
      ['function_call', 'call_a', '{"query":"café ☕ 東京"}'],
      ['function_call', 'call_b', '{"city":"Zürich"}'],
    ]);
    const usage = await oneUsage();
    expect(usage).toMatchObject({
      inputTokens: 21,
      outputTokens: 17,
      status: 200,
    });
    expect(final.usage).toMatchObject({
      input_tokens: usage.inputTokens,
      output_tokens: usage.outputTokens,
      total_tokens: usage.inputTokens + usage.outputTokens,
    });
    await budgetMoved(before, usage.costUsd);
  });

  it('messages: turns interleaved parallel tool calls split mid-character into blocks that never overlap, showing the usage charged', async () => {
    upstream.answer = (_req, res) =>
      void writeSlowly(res, byteSlices(PARALLEL_CALLS, 7), 1);
    const before = spent();
    const response = await postChat(
      url,
      {
        model: 'gpt-4o',
        max_tokens: 100,
        stream: true,
        messages: [{ role: 'user', content: 'two tools please' }],
        tools: tools.map(t => ({
          name: t.function.name,
          input_schema: t.function.parameters,
        })),
      },
      { key: KEYS.brightpath, path: PATH.messages },
    );
    expect(response.status).toBe(200);
    const { problems, blocks, delta } = messagesGrammar(await response.text());
    expect(problems).toEqual([]);
    expect(blocks).toEqual([
      { type: 'text', text: 'Looking ' },
      {
        type: 'tool_use',
        id: 'call_a',
        name: 'lookup',
        input: { query: 'café ☕ 東京' },
      },
      {
        type: 'tool_use',
        id: 'call_b',
        name: 'weather',
        input: { city: 'Zürich' },
      },
    ]);
    const usage = await oneUsage();
    expect(usage).toMatchObject({ inputTokens: 21, outputTokens: 17 });
    expect(delta).toMatchObject({
      delta: { stop_reason: 'tool_use' },
      usage: {
        input_tokens: usage.inputTokens,
        output_tokens: usage.outputTokens,
      },
    });
    await budgetMoved(before, usage.costUsd);
  });

  it.each(APIS)(
    '%s: an upstream that finishes and sends its usage but no [DONE] has its stream ended cleanly, charged that usage',
    async api => {
      upstream.answer = (_req, res) =>
        void writeSlowly(res, [
          textChunk('Done ', true),
          chatChunk([
            { index: 0, delta: { content: 'here' }, finish_reason: 'stop' },
          ]),
          usageChunk(9, 2),
        ]);
      const before = spent();
      const response = await postChat(url, ASK[api], {
        key: KEYS.brightpath,
        path: PATH[api],
      });
      expect(response.status).toBe(200);
      const text = await response.text();
      expect(GRAMMAR[api](text).problems).toEqual([]);
      expect(text).not.toContain('upstream_stream_broken');
      const usage = await oneUsage();
      expect(usage).toMatchObject({
        status: 200,
        outcome: 'success',
        inputTokens: 9,
        outputTokens: 2,
      });
      await budgetMoved(before, usage.costUsd);
    },
  );

  /** The last event of a stream an upstream error event broke, and what never comes after it. */
  const BROKEN_END: Record<Api, { last: object; never: string }> = {
    chat: {
      last: { data: { error: { code: 'upstream_stream_broken' } } },
      never: '[DONE]',
    },
    responses: {
      last: {
        event: 'error',
        data: { type: 'error', code: 'upstream_stream_broken' },
      },
      never: 'response.completed',
    },
    messages: {
      last: {
        event: 'error',
        data: { type: 'error', error: { type: 'api_error' } },
      },
      never: 'message_stop',
    },
  };

  it.each(APIS)(
    "%s: an upstream error event mid-stream ends the stream with the API's error event, charged once for what was relayed",
    async api => {
      let callerHasText!: () => void;
      const shown = new Promise<void>(resolve => {
        callerHasText = resolve;
      });
      upstream.answer = (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write(textChunk('Part one. ', true));
        res.write(textChunk('Part two. '));
        // The error comes once the caller has text: mid-stream, not in the first read.
        void shown.then(() =>
          res.end(
            `data: ${JSON.stringify({
              error: { message: 'overloaded', type: 'server_error' },
            })}\n\n`,
          ),
        );
      };
      const before = spent();
      const response = await postChat(url, ASK[api], {
        key: KEYS.brightpath,
        path: PATH[api],
      });
      expect(response.status).toBe(200);
      const got = parseSse(
        await readAll(response, soFar => {
          if (soFar.includes('Part two')) callerHasText();
        }),
      );
      expect(got[got.length - 1]).toMatchObject(BROKEN_END[api].last);
      expect(got.map(e => e.data?.type ?? e.data)).not.toContain(
        BROKEN_END[api].never,
      );
      // The Responses error event goes on numbering the stream's events (the others have none).
      const numbered = got.filter(e => e.data?.sequence_number !== undefined);
      expect(numbered.map(e => e.data.sequence_number)).toEqual(
        numbered.map((_, i) => i),
      );
      const usage = await oneUsage();
      expect(usage).toMatchObject({ status: 502, tokensEstimated: true });
      expect(usage.outputTokens).toBeGreaterThan(0);
      await budgetMoved(before, usage.costUsd);
    },
  );

  it.each(APIS)(
    '%s: a caller that leaves mid-stream has the upstream closed, and is recorded once as cancelled, charged what was relayed',
    async api => {
      const written = ['Part ', 'word0 ', 'word1 ', 'word2 ', 'word3 '];
      upstream.answer = (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        // Then nothing more: only the caller's leaving can end this stream.
        res.write(written.map((text, i) => textChunk(text, i === 0)).join(''));
      };
      const closedBefore = upstream.closedEarly;
      const before = spent();
      expect(await streamThenLeave(url, PATH[api], ASK[api], 'word2')).toBe(
        200,
      );
      await eventually(() => upstream.closedEarly > closedBefore).catch(() => {
        throw new Error(
          'the upstream connection stayed open after the caller left',
        );
      });
      const usage = await oneUsage();
      expect(usage).toMatchObject({
        outcome: 'cancelled',
        status: 499,
        stream: true,
      });
      // What was written, at a token a byte at most: not the 500 tokens the request reserved.
      expect(usage.outputTokens).toBeGreaterThan(0);
      expect(usage.outputTokens).toBeLessThanOrEqual(
        Buffer.byteLength(written.join('')),
      );
      await budgetMoved(before, usage.costUsd);
    },
  );

  it.each(APIS)(
    '%s: a caller that leaves before the first event is recorded once as cancelled, charged its prompt only',
    async api => {
      let answered = 0;
      upstream.answer = (_req, res) => {
        answered += 1;
        // Headers, then nothing: only the caller's leaving can end this stream.
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.flushHeaders();
      };
      const closedBefore = upstream.closedEarly;
      const before = spent();
      const leave = new AbortController();
      const pending = postChat(url, ASK[api], {
        key: KEYS.brightpath,
        path: PATH[api],
        signal: leave.signal,
      }).catch(error => error);
      await eventually(() => answered === 1);
      leave.abort();
      await pending;
      await eventually(() => upstream.closedEarly > closedBefore);
      const usage = await oneUsage();
      expect(usage).toMatchObject({ outcome: 'cancelled', outputTokens: 0 });
      expect(usage.inputTokens).toBeGreaterThan(0);
      await budgetMoved(before, usage.costUsd);
    },
  );

  it.each(['responses', 'messages'] as Api[])(
    '%s: the closing event of a stream whose upstream sent no usage shows the tokens the UsageEvent charges',
    async api => {
      upstream.answer = (_req, res) =>
        void writeSlowly(res, [
          textChunk('Hello there friend', true),
          chatChunk([{ index: 0, delta: {}, finish_reason: 'stop' }]),
          'data: [DONE]\n\n',
        ]);
      const before = spent();
      const response = await postChat(url, ASK[api], {
        key: KEYS.brightpath,
        path: PATH[api],
      });
      const { problems, usage: shown } = GRAMMAR[api](await response.text());
      expect(problems).toEqual([]);
      const usage = await oneUsage();
      expect(usage.tokensEstimated).toBe(true);
      expect(shown).toMatchObject({
        input_tokens: usage.inputTokens,
        output_tokens: usage.outputTokens,
      });
      await budgetMoved(before, usage.costUsd);
    },
  );
});
