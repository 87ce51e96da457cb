/**
 * A stream from an Anthropic upstream that holds all its event kinds at once (pings, a
 * thinking block, text, two tool_use blocks with their input in pieces), written by a real
 * HTTP server 11 bytes at a time so that events and multi-byte characters fall apart across
 * reads. Through chat completions, the Responses API and the Messages API, the caller gets a
 * stream well-formed for its API with the text and both calls whole, and the usage it shows
 * is the UsageEvent's, which is what the tenant's budget moves by.
 */
import type { UsageEvent } from '@cellport/plugin-platform-common';
import {
  eventually,
  KEYS,
  postChat,
  RecordingEventSink,
  startGateway,
  testState,
} from '../__testUtils__/fixtures';
import { RawUpstream } from '../__testUtils__/RawUpstream';
import { byteSlices, writeSlowly } from '../__testUtils__/scriptedStreams';
import {
  chatGrammar,
  messagesGrammar,
  responsesGrammar,
} from '../__testUtils__/streamGrammar';
import type { Gateway } from '../createGateway';

// Real servers: generous limits so a loaded CI machine does not fail them.
jest.setTimeout(30_000);

const event = (type: string, data: object) =>
  `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;

const ANTHROPIC_STREAM = [
  event('message_start', {
    message: {
      id: 'msg_up',
      type: 'message',
      role: 'assistant',
      model: 'claude-model',
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { input_tokens: 40, output_tokens: 1 },
    },
  }),
  event('ping', {}),
  event('content_block_start', {
    index: 0,
    content_block: { type: 'thinking', thinking: '' },
  }),
  event('content_block_delta', {
    index: 0,
    delta: { type: 'thinking_delta', thinking: 'hmm' },
  }),
  event('content_block_stop', { index: 0 }),
  event('content_block_start', {
    index: 1,
    content_block: { type: 'text', text: '' },
  }),
  event('content_block_delta', {
    index: 1,
    delta: { type: 'text_delta', text: 'Checking ☕' },
  }),
  event('content_block_stop', { index: 1 }),
  event('content_block_start', {
    index: 2,
    content_block: {
      type: 'tool_use',
      id: 'toolu_a',
      name: 'lookup',
      input: {},
    },
  }),
  event('content_block_delta', {
    index: 2,
    delta: { type: 'input_json_delta', partial_json: '{"query":' },
  }),
  event('content_block_delta', {
    index: 2,
    delta: { type: 'input_json_delta', partial_json: '"東京"}' },
  }),
  event('content_block_stop', { index: 2 }),
  event('content_block_start', {
    index: 3,
    content_block: {
      type: 'tool_use',
      id: 'toolu_b',
      name: 'weather',
      input: {},
    },
  }),
  event('content_block_delta', {
    index: 3,
    delta: { type: 'input_json_delta', partial_json: '{"city":"Zürich"}' },
  }),
  event('content_block_stop', { index: 3 }),
  event('ping', {}),
  event('message_delta', {
    delta: { stop_reason: 'tool_use', stop_sequence: null },
    usage: { output_tokens: 33 },
  }),
  event('message_stop', {}),
].join('');

const chatTools = [
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

describe('a stream from an Anthropic upstream, through each API', () => {
  let upstream: RawUpstream;
  let gateway: Gateway;
  let url: string;
  let events: RecordingEventSink;

  beforeAll(async () => {
    upstream = new RawUpstream();
    const upstreamUrl = await upstream.start();
    ({ gateway, url, events } = await startGateway(upstreamUrl, {
      state: testState(upstreamUrl),
    }));
    const slices = byteSlices(ANTHROPIC_STREAM, 11);
    upstream.answer = (_req, res) => void writeSlowly(res, slices, 1);
  });
  afterAll(async () => {
    await gateway.stop();
    await upstream.stop();
  });
  beforeEach(() => {
    events.events.length = 0;
  });

  const spent = () =>
    gateway.deps.limiter.spentUsdHint('brightpath', Date.now()) ?? 0;

  /**
   * The request's one UsageEvent, charging the upstream's counts, and the tenant's spend
   * settled to exactly its cost more than `before`.
   */
  async function charged(before: number): Promise<UsageEvent> {
    await eventually(() => events.usage().length >= 1);
    // A second event for the same request would be published by now: it must not come.
    await new Promise(resolve => setTimeout(resolve, 100));
    expect(events.usage()).toHaveLength(1);
    const usage = events.usage()[0] as UsageEvent;
    expect(usage).toMatchObject({
      status: 200,
      inputTokens: 40,
      outputTokens: 33,
      tokensEstimated: false,
    });
    await eventually(() => Math.abs(spent() - before - usage.costUsd) < 1e-9);
    return usage;
  }

  it('chat: two tool calls with their arguments whole, and the usage charged in the last chunk', async () => {
    const before = spent();
    const response = await postChat(
      url,
      {
        model: 'claude-haiku',
        stream: true,
        stream_options: { include_usage: true },
        tools: chatTools,
        messages: [{ role: 'user', content: 'go' }],
      },
      { key: KEYS.brightpath },
    );
    expect(response.status).toBe(200);
    const {
      problems,
      events: got,
      content,
      calls,
      finishReason,
    } = chatGrammar(await response.text());
    expect(problems).toEqual([]);
    expect(got[got.length - 1].data).toBe('[DONE]');
    expect({ content, calls, finishReason }).toEqual({
      content: 'Checking ☕',
      calls: [
        { id: 'toolu_a', name: 'lookup', arguments: '{"query":"東京"}' },
        { id: 'toolu_b', name: 'weather', arguments: '{"city":"Zürich"}' },
      ],
      finishReason: 'tool_calls',
    });
    const usage = await charged(before);
    expect(got[got.length - 2].data).toMatchObject({
      choices: [],
      usage: {
        prompt_tokens: usage.inputTokens,
        completion_tokens: usage.outputTokens,
      },
    });
  });

  it('responses: text and two function calls as well-formed typed events, showing the usage charged', async () => {
    const before = spent();
    const response = await postChat(
      url,
      {
        model: 'claude-haiku',
        stream: true,
        input: 'go',
        tools: chatTools.map(t => ({ type: 'function', ...t.function })),
      },
      { key: KEYS.brightpath, path: '/v1/responses' },
    );
    expect(response.status).toBe(200);
    const { problems, final } = responsesGrammar(await response.text());
    expect(problems).toEqual([]);
    expect(
      final.output.map((item: any) => item.arguments ?? item.content[0].text),
    ).toEqual(['Checking ☕', '{"query":"東京"}', '{"city":"Zürich"}']);
    const usage = await charged(before);
    expect(final.usage).toMatchObject({
      input_tokens: usage.inputTokens,
      output_tokens: usage.outputTokens,
    });
  });

  it('messages: text and two tool_use blocks, the usage charged in message_delta', async () => {
    const before = spent();
    const response = await postChat(
      url,
      {
        model: 'claude-haiku',
        stream: true,
        max_tokens: 200,
        messages: [{ role: 'user', content: 'go' }],
        tools: chatTools.map(t => ({
          name: t.function.name,
          input_schema: t.function.parameters,
        })),
      },
      { key: KEYS.brightpath, path: '/v1/messages' },
    );
    expect(response.status).toBe(200);
    const { problems, blocks, delta } = messagesGrammar(await response.text());
    expect(problems).toEqual([]);
    expect(blocks).toEqual([
      { type: 'text', text: 'Checking ☕' },
      {
        type: 'tool_use',
        id: 'toolu_a',
        name: 'lookup',
        input: { query: '東京' },
      },
      {
        type: 'tool_use',
        id: 'toolu_b',
        name: 'weather',
        input: { city: 'Zürich' },
      },
    ]);
    const usage = await charged(before);
    expect(delta).toMatchObject({
      delta: { stop_reason: 'tool_use' },
      usage: {
        input_tokens: usage.inputTokens,
        output_tokens: usage.outputTokens,
      },
    });
  });
});
