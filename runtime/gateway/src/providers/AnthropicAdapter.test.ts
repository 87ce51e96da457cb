import { createServer, IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import type { SimulatorServer } from '@cellport/simulator';
import type { UsageEvent } from '@cellport/plugin-platform-common';
import {
  chatCompletion,
  eventually,
  KEYS,
  RecordingEventSink,
  startGateway,
  startSimulator,
  testState,
} from '../__testUtils__/fixtures';
import type { Gateway } from '../createGateway';
import { anthropicMessagesUrl } from './AnthropicAdapter';

// Real servers, Redis and NATS: generous limits so a loaded CI machine does not fail them.
jest.setTimeout(30_000);

describe('Anthropic adapter against the simulator', () => {
  let simulator: SimulatorServer;
  let gateway: Gateway;
  let events: RecordingEventSink;
  let client: OpenAI;

  beforeAll(async () => {
    simulator = await startSimulator();
    let url: string;
    ({ gateway, url, events } = await startGateway(simulator.url));
    client = new OpenAI({
      apiKey: KEYS.brightpath,
      baseURL: `${url}/v1`,
      maxRetries: 0,
    });
  });
  afterAll(async () => {
    await gateway.stop();
    await simulator.stop();
  });
  afterEach(() => {
    events.events.length = 0;
  });

  it('translates a chat request to Messages and the answer back, with usage', async () => {
    const completion = await client.chat.completions.create({
      model: 'claude-haiku',
      messages: [
        { role: 'system', content: 'be brief' },
        { role: 'user', content: 'hello claude' },
      ],
      max_tokens: 6,
    });
    expect(completion.object).toBe('chat.completion');
    expect(completion.choices[0].finish_reason).toBe('length');
    expect(completion.usage!.completion_tokens).toBe(6);
    expect(simulator.stats.snapshot().byModel['claude-model']).toBeGreaterThan(
      0,
    );
    const usage = events.usage()[0] as UsageEvent;
    expect(usage).toMatchObject({
      provider: 'anthropic',
      outputTokens: 6,
      tokensEstimated: false,
    });
    expect(usage.costUsd).toBeCloseTo(
      (usage.inputTokens * 0.8 + 6 * 4) / 1e6,
      12,
    );
  });

  it('translates the streamed events into OpenAI chunks with a final usage chunk', async () => {
    const stream = await client.chat.completions.create({
      model: 'claude-haiku',
      messages: [{ role: 'user', content: 'stream, claude' }],
      max_tokens: 5,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let finish: string | null | undefined;
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta?.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
      usage = chunk.usage ?? usage;
    }
    expect(text.split(' ')).toHaveLength(5);
    expect(finish).toBe('length');
    expect(usage).toMatchObject({ completion_tokens: 5 });
    await eventually(() => events.usage().length === 1);
    expect(events.usage()[0]).toMatchObject({
      stream: true,
      outputTokens: 5,
      tokensEstimated: false,
    });
  });

  it('translates tools and tool calls both ways, JSON and streamed', async () => {
    const request = {
      model: 'claude-haiku',
      messages: [{ role: 'user' as const, content: 'weather in Oslo today' }],
      tools: [
        {
          type: 'function' as const,
          function: {
            name: 'weather',
            description: 'forecast',
            parameters: { type: 'object' },
          },
        },
      ],
      tool_choice: 'required' as const,
    };
    const json = await client.chat.completions.create(request);
    expect(json.choices[0].finish_reason).toBe('tool_calls');
    const call = json.choices[0].message.tool_calls![0] as {
      id: string;
      function: { name: string; arguments: string };
    };
    expect(call.id).toMatch(/^toolu_/);
    expect(call.function.name).toBe('weather');
    expect(JSON.parse(call.function.arguments)).toEqual({
      query: 'weather in Oslo',
    });

    const stream = await client.chat.completions.create({
      ...request,
      stream: true,
    });
    let name = '';
    let args = '';
    let finish: string | null | undefined;
    for await (const chunk of stream) {
      const delta = chunk.choices[0]?.delta?.tool_calls?.[0];
      name += delta?.function?.name ?? '';
      args += delta?.function?.arguments ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(name).toBe('weather');
    expect(JSON.parse(args)).toEqual({ query: 'weather in Oslo' });
    expect(finish).toBe('tool_calls');
  });

  it("serves allowed_tools, which Anthropic lacks, by sending only the allowed tools: a required call is one of them, as OpenAI's own would be", async () => {
    const tool = (name: string) => ({
      type: 'function' as const,
      function: { name, parameters: { type: 'object' } },
    });
    for (const model of ['claude-haiku', 'gpt-4o']) {
      const completion = await client.chat.completions.create({
        model,
        messages: [{ role: 'user', content: 'what time is it in Oslo' }],
        tools: [tool('weather'), tool('clock')],
        tool_choice: {
          type: 'allowed_tools',
          allowed_tools: {
            mode: 'required',
            tools: [{ type: 'function', function: { name: 'clock' } }],
          },
        },
      } as unknown as OpenAI.ChatCompletionCreateParamsNonStreaming);
      const [call] = completion.choices[0].message.tool_calls as Array<{
        function: { name: string };
      }>;
      expect({ model, name: call.function.name }).toEqual({
        model,
        name: 'clock',
      });
    }
  });
});
describe('Anthropic adapter against an upstream that answers as told', () => {
  let simulator: SimulatorServer;
  let gateway: Gateway;
  let url: string;
  /** Every body the upstream got, by path; `stopReason` ends its answers. */
  const received: { path: string; body: any }[] = [];
  let stopReason = 'end_turn';
  const upstream = createServer((req, res) => {
    let text = '';
    req.on('data', part => (text += part));
    req.on('end', () => answer(req, res, JSON.parse(text)));
  });

  function answer(req: IncomingMessage, res: ServerResponse, body: any) {
    received.push({ path: req.url!, body });
    if (req.url === '/v1/chat/completions') {
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(chatCompletion({ content: 'ok' }, { prompt: 5, completion: 1 }));
      return;
    }
    const message = {
      id: 'msg_up',
      type: 'message',
      role: 'assistant',
      model: 'claude-up',
      content: [{ type: 'text', text: 'I will not.' }],
      stop_reason: stopReason,
      stop_sequence: null,
      usage: { input_tokens: 5, output_tokens: 4 },
    };
    if (!body.stream) {
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify(message));
      return;
    }
    const event = (data: object) =>
      `event: ${(data as any).type}\ndata: ${JSON.stringify(data)}\n\n`;
    res.writeHead(200, { 'content-type': 'text/event-stream' }).end(
      [
        event({
          type: 'message_start',
          message: { ...message, content: [], stop_reason: null },
        }),
        event({
          type: 'content_block_start',
          index: 0,
          content_block: { type: 'text', text: '' },
        }),
        event({
          type: 'content_block_delta',
          index: 0,
          delta: { type: 'text_delta', text: 'I will not.' },
        }),
        event({ type: 'content_block_stop', index: 0 }),
        event({
          type: 'message_delta',
          delta: { stop_reason: stopReason, stop_sequence: null },
          usage: { output_tokens: 4 },
        }),
        event({ type: 'message_stop' }),
      ].join(''),
    );
  }

  beforeAll(async () => {
    simulator = await startSimulator();
    await new Promise<void>(resolve =>
      upstream.listen(0, '127.0.0.1', () => resolve()),
    );
    const upstreamUrl = `http://127.0.0.1:${
      (upstream.address() as AddressInfo).port
    }/v1`;
    const state = testState(simulator.url);
    for (const profile of state.modelProfiles) profile.endpoint = upstreamUrl;
    ({ gateway, url } = await startGateway(simulator.url, { state }));
  });
  afterAll(async () => {
    await gateway.stop();
    await simulator.stop();
    upstream.closeAllConnections();
    await new Promise(resolve => upstream.close(resolve));
  });
  beforeEach(() => {
    received.length = 0;
  });

  const openAi = () =>
    new OpenAI({
      apiKey: KEYS.brightpath,
      baseURL: `${url}/v1`,
      maxRetries: 0,
    });
  const anthropic = () =>
    new Anthropic({ apiKey: KEYS.brightpath, baseURL: url, maxRetries: 0 });

  it.each([
    ['refusal', 'content_filter', 'refusal', 'content_filter'],
    // Chat and Messages have no word of their own for it: the answer was cut off at a limit.
    [
      'model_context_window_exceeded',
      'length',
      'max_tokens',
      'max_output_tokens',
    ],
  ])(
    "reports Anthropic's %s as %s in chat, %s in Messages and %s in Responses, JSON and streamed",
    async (stop, chatFinish, messagesStop, incompleteReason) => {
      stopReason = stop;
      const chat = {
        model: 'claude-haiku',
        messages: [{ role: 'user' as const, content: 'do something bad' }],
      };
      const json = await openAi().chat.completions.create(chat);
      expect(json.choices[0].finish_reason).toBe(chatFinish);
      let finish;
      const chunks = await openAi().chat.completions.create({
        ...chat,
        stream: true,
      });
      for await (const chunk of chunks)
        finish = chunk.choices[0]?.finish_reason ?? finish;
      expect(finish).toBe(chatFinish);

      const messages = { ...chat, max_tokens: 100 };
      const message = await anthropic().messages.create(messages);
      expect(message.stop_reason).toBe(messagesStop);
      const streamed = await anthropic()
        .messages.stream(messages)
        .finalMessage();
      expect(streamed.stop_reason).toBe(messagesStop);

      const responses = { model: 'claude-haiku', input: 'do something bad' };
      for (const response of [
        await openAi().responses.create(responses),
        await openAi().responses.stream(responses).finalResponse(),
      ]) {
        expect(response).toMatchObject({
          status: 'incomplete',
          incomplete_details: { reason: incompleteReason },
        });
      }
    },
  );

  it('asks for one tool call at a time when the caller turns parallel calls off, in each API', async () => {
    stopReason = 'end_turn';
    const weather = {
      name: 'weather',
      parameters: { type: 'object' as const, properties: {} },
    };
    const ask = { model: 'claude-haiku', parallel_tool_calls: false };
    await openAi().chat.completions.create({
      ...ask,
      messages: [{ role: 'user', content: 'weather?' }],
      tools: [{ type: 'function', function: weather }],
      tool_choice: 'required',
    });
    await openAi().responses.create({
      ...ask,
      input: 'weather?',
      tools: [{ type: 'function', strict: false, ...weather }],
    });
    const messages = {
      max_tokens: 100,
      messages: [{ role: 'user' as const, content: 'weather?' }],
      tools: [{ name: 'weather', input_schema: weather.parameters }],
      tool_choice: {
        type: 'tool' as const,
        name: 'weather',
        disable_parallel_tool_use: true,
      },
    };
    await anthropic().messages.create({ model: 'claude-haiku', ...messages });
    // An OpenAI-protocol upstream is told as chat tells it.
    await anthropic().messages.create({ model: 'gpt-4o', ...messages });
    expect(received.map(({ body }) => body.tool_choice)).toEqual([
      { type: 'any', disable_parallel_tool_use: true },
      { type: 'auto', disable_parallel_tool_use: true },
      { type: 'tool', name: 'weather', disable_parallel_tool_use: true },
      { type: 'function', function: { name: 'weather' } },
    ]);
    expect(received[3]).toMatchObject({
      path: '/v1/chat/completions',
      body: { parallel_tool_calls: false },
    });
  });
});

describe('anthropicMessagesUrl', () => {
  it("reaches /v1/messages from Anthropic's base URL, with or without the version", () => {
    // The demo catalog names the base URL as Anthropic documents it; the path once came out
    // as /messages, which every upstream answers 404.
    expect(anthropicMessagesUrl('https://api.anthropic.com')).toBe(
      'https://api.anthropic.com/v1/messages',
    );
    expect(anthropicMessagesUrl('https://api.anthropic.com/')).toBe(
      'https://api.anthropic.com/v1/messages',
    );
    expect(anthropicMessagesUrl('http://127.0.0.1:7070/v1/')).toBe(
      'http://127.0.0.1:7070/v1/messages',
    );
  });
});
