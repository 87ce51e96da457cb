import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import type { SimulatorServer } from '@cellport/simulator';
import type { UsageEvent } from '@cellport/plugin-platform-common';
import {
  clockFromMinuteStart,
  eventually,
  KEYS,
  RecordingEventSink,
  startGateway,
  startSimulator,
  testState,
} from '../__testUtils__/fixtures';
import type { Gateway } from '../createGateway';

// Real servers: generous limits so a loaded CI machine does not fail them.
jest.setTimeout(30_000);

type Answer = { status: number; body: any };

/** The gateway's checks, refusals and counting hold on /v1/responses and /v1/messages as on chat. */
describe('the chat checks on the translating endpoints', () => {
  let simulator: SimulatorServer;
  let gateway: Gateway;
  let events: RecordingEventSink;
  let url: string;

  async function post(
    path: string,
    body: unknown,
    headers: Record<string, string> = {
      authorization: `Bearer ${KEYS.brightpath}`,
    },
  ): Promise<Answer> {
    const response = await fetch(`${url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: response.status, body: await response.json() };
  }

  /** An answer in OpenAI's error shape, naming `param` (in the message too, for a 400). */
  function openAiError(status: number, param?: string) {
    return {
      status,
      body: {
        error: {
          message:
            param && status === 400
              ? expect.stringContaining(`${param} `)
              : expect.any(String),
          type: expect.any(String),
          param: param ?? null,
          code: expect.any(String),
        },
      },
    };
  }

  /** An answer in Anthropic's error shape; the message names the field. */
  function anthropicError(status: number, type: string, field?: string) {
    return {
      status,
      body: {
        type: 'error',
        error: {
          type,
          message: field
            ? expect.stringContaining(`${field} `)
            : expect.any(String),
        },
      },
    };
  }

  beforeAll(async () => {
    simulator = await startSimulator();
    ({ gateway, url, events } = await startGateway(simulator.url));
  });
  afterAll(async () => {
    await gateway.stop();
    await simulator.stop();
  });
  afterEach(() => {
    events.events.length = 0;
  });

  const responsesBody = { model: 'gpt-4o', input: 'hi' };
  const messagesBody = {
    model: 'gpt-4o',
    max_tokens: 16,
    messages: [{ role: 'user', content: 'hi' }],
  };
  /** A Messages body whose user turn is one image of `source`. */
  const messagesImage = (source: object) => ({
    ...messagesBody,
    messages: [{ role: 'user', content: [{ type: 'image', source }] }],
  });
  /**
   * A Messages body with `cache_control` on the places `where` names, of every kind Anthropic
   * takes it on: a system block, a tool, a text and an image block, a tool use, a tool result
   * and its text.
   */
  const messagesCached = (cacheControl: unknown, where: string | string[]) => {
    const at = (place: string) =>
      [where].flat().includes(place) ? { cache_control: cacheControl } : {};
    const image = {
      type: 'base64',
      media_type: 'image/png',
      data: 'iVBORw0KGgo=',
    };
    return {
      ...messagesBody,
      system: [{ type: 'text', text: 'be brief', ...at('system') }],
      tools: [{ name: 'f', input_schema: { type: 'object' }, ...at('tool') }],
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'x', ...at('text') },
            { type: 'image', source: image, ...at('image') },
          ],
        },
        {
          role: 'assistant',
          content: [
            { type: 'tool_use', id: 't', name: 'f', input: {}, ...at('use') },
          ],
        },
        {
          role: 'user',
          content: [
            {
              type: 'tool_result',
              tool_use_id: 't',
              content: [{ type: 'text', text: 'ok', ...at('result text') }],
              ...at('result'),
            },
          ],
        },
      ],
    };
  };

  it.each([
    [{ ...responsesBody, model: '' }, 'model'],
    [{ model: 'gpt-4o' }, 'input'],
    [{ ...responsesBody, input: [] }, 'input'],
    [
      { ...responsesBody, input: [{ role: 'robot', content: 'x' }] },
      'input.0.role',
    ],
    // Names of Object's own properties, and a value no string conversion takes (a 500 once).
    [
      { ...responsesBody, input: [{ role: 'constructor', content: 'x' }] },
      'input.0.role',
    ],
    [
      { ...responsesBody, input: [{ role: { toString: 1 }, content: 'x' }] },
      'input.0.role',
    ],
    [
      { ...responsesBody, input: [{ role: 'user', content: 7 }] },
      'input.0.content',
    ],
    [
      {
        ...responsesBody,
        input: [{ role: 'user', content: [{ type: 'input_text' }] }],
      },
      'input.0.content.0.text',
    ],
    [
      {
        ...responsesBody,
        input: [
          {
            role: 'user',
            content: [{ type: 'input_image', file_id: 'file_1' }],
          },
        ],
      },
      'input.0.content.0.file_id',
    ],
    [
      {
        ...responsesBody,
        input: [
          { role: 'user', content: 'x' },
          { type: 'function_call', name: 'f', arguments: '{}' },
        ],
      },
      'input.1.call_id',
    ],
    [
      {
        ...responsesBody,
        input: [{ type: 'function_call_output', call_id: 'c', output: 3 }],
      },
      'input.0.output',
    ],
    [
      { ...responsesBody, input: [{ type: 'item_reference', id: 'msg_1' }] },
      'input.0.type',
    ],
    // Tool turns out of sequence, named in Responses terms: the items themselves.
    [
      {
        ...responsesBody,
        input: [
          { role: 'user', content: 'x' },
          { type: 'function_call_output', call_id: 'c1', output: 'sunny' },
        ],
      },
      'input.1',
    ],
    [
      {
        ...responsesBody,
        input: [
          { role: 'user', content: 'x' },
          { type: 'function_call', call_id: 'c1', name: 'f', arguments: '{}' },
          { role: 'user', content: 'and?' },
        ],
      },
      'input.1',
    ],
    [
      {
        ...responsesBody,
        input: [
          { role: 'user', content: 'x' },
          { type: 'function_call', call_id: 'c1', name: 'f', arguments: '{}' },
          { type: 'function_call', call_id: 'c2', name: 'f', arguments: '{}' },
          { type: 'function_call_output', call_id: 'c1', output: 'sunny' },
        ],
      },
      'input.2',
    ],
    [
      {
        ...responsesBody,
        input: [
          { role: 'user', content: 'x' },
          { type: 'function_call', call_id: 'c1', name: 'f', arguments: '{}' },
          { type: 'function_call_output', call_id: 'c2', output: 'sunny' },
        ],
      },
      'input.2.call_id',
    ],
    [{ ...responsesBody, instructions: 5 }, 'instructions'],
    [{ ...responsesBody, max_output_tokens: 0 }, 'max_output_tokens'],
    [{ ...responsesBody, temperature: 3 }, 'temperature'],
    [{ ...responsesBody, top_p: -1 }, 'top_p'],
    [{ ...responsesBody, stream: 'yes' }, 'stream'],
    [{ ...responsesBody, tools: [{ type: 'web_search' }] }, 'tools.0.type'],
    [
      { ...responsesBody, tools: [{ type: 'function', name: 'bad name!' }] },
      'tools.0.name',
    ],
    [
      {
        ...responsesBody,
        tools: [{ type: 'function', name: 'ok', parameters: 'x' }],
      },
      'tools.0.parameters',
    ],
    [
      {
        ...responsesBody,
        tools: [{ type: 'function', name: 'ok' }],
        tool_choice: { type: 'function' },
      },
      'tool_choice.name',
    ],
    [
      { ...responsesBody, text: { format: { type: 'yaml' } } },
      'text.format.type',
    ],
    [
      { ...responsesBody, previous_response_id: 'resp_123' },
      'previous_response_id',
    ],
    [{ ...responsesBody, store: true }, 'store'],
    [{ ...responsesBody, conversation: 'conv_1' }, 'conversation'],
    [{ ...responsesBody, temprature: 0.5 }, 'temprature'],
    [{ ...responsesBody, truncation: 'auto' }, 'truncation'],
    [{ ...responsesBody, truncation: 'sometimes' }, 'truncation'],
    [{ ...responsesBody, include: 'everything' }, 'include'],
    [
      { ...responsesBody, include: ['message.output_text.logprobs'] },
      'include.0',
    ],
    [{ ...responsesBody, top_logprobs: 5 }, 'top_logprobs'],
    [{ ...responsesBody, top_logprobs: 21 }, 'top_logprobs'],
    [{ ...responsesBody, max_tool_calls: 0 }, 'max_tool_calls'],
    [{ ...responsesBody, service_tier: 'priority' }, 'service_tier'],
    [{ ...responsesBody, service_tier: 'turbo' }, 'service_tier'],
    [{ ...responsesBody, text: { verbosity: 'loud' } }, 'text.verbosity'],
    [
      { ...responsesBody, reasoning: { effort: 'extreme' } },
      'reasoning.effort',
    ],
    [{ ...responsesBody, stream_options: {} }, 'stream_options'],
    [{ ...responsesBody, prompt_cache_key: 7 }, 'prompt_cache_key'],
  ])(
    '/v1/responses refuses %j naming %s, in OpenAI error shape',
    async (body, param) => {
      expect(await post('/v1/responses', body)).toEqual(
        openAiError(400, param),
      );
    },
  );

  it.each([
    [{ ...messagesBody, model: 7 }, 'model'],
    [{ model: 'gpt-4o', messages: messagesBody.messages }, 'max_tokens'],
    [{ ...messagesBody, max_tokens: -1 }, 'max_tokens'],
    [{ ...messagesBody, messages: [] }, 'messages'],
    [
      { ...messagesBody, messages: [{ role: 'system', content: 'x' }] },
      'messages.0.role',
    ],
    [
      {
        ...messagesBody,
        messages: [{ role: 'user', content: [{ type: 'document' }] }],
      },
      'messages.0.content.0.type',
    ],
    [
      {
        ...messagesBody,
        messages: [
          { role: 'user', content: [{ type: 'tool_result', content: 'x' }] },
        ],
      },
      'messages.0.content.0.tool_use_id',
    ],
    [
      {
        ...messagesBody,
        messages: [
          { role: 'user', content: 'x' },
          {
            role: 'assistant',
            content: [{ type: 'tool_use', id: 't', name: 'f', input: 'x' }],
          },
        ],
      },
      'messages.1.content.0.input',
    ],
    // Anthropic's rule for tool turns: a tool_result answers a tool_use of the assistant
    // message right before it, and every tool_use has one in the next message.
    [
      {
        ...messagesBody,
        messages: [
          {
            role: 'user',
            content: [{ type: 'tool_result', tool_use_id: 't1', content: 'x' }],
          },
        ],
      },
      'messages.0.content.0',
    ],
    [
      {
        ...messagesBody,
        messages: [
          { role: 'user', content: 'x' },
          {
            role: 'assistant',
            content: [{ type: 'tool_use', id: 't1', name: 'f', input: {} }],
          },
          { role: 'user', content: 'and?' },
        ],
      },
      'messages.1.content.0',
    ],
    [
      {
        ...messagesBody,
        messages: [
          { role: 'user', content: 'x' },
          {
            role: 'assistant',
            content: [{ type: 'tool_use', id: 't1', name: 'f', input: {} }],
          },
          {
            role: 'user',
            content: [{ type: 'tool_result', tool_use_id: 't2', content: 'x' }],
          },
        ],
      },
      'messages.2.content.0.tool_use_id',
    ],
    [
      {
        ...messagesBody,
        messages: [
          {
            role: 'user',
            content: [{ type: 'image', source: { type: 'file' } }],
          },
        ],
      },
      'messages.0.content.0.source',
    ],
    [
      messagesImage({
        type: 'base64',
        media_type: 'text/html;base64,PHNjcmlwdD4=;x',
        data: 'iVBORw0KGgo=',
      }),
      'messages.0.content.0.source.media_type',
    ],
    [
      messagesImage({
        type: 'base64',
        media_type: 'image/png',
        data: 'not base64!',
      }),
      'messages.0.content.0.source.data',
    ],
    [
      // eslint-disable-next-line no-script-url -- a hostile caller's image, refused
      messagesImage({ type: 'url', url: 'javascript:alert(1)' }),
      'messages.0.content.0.source.url',
    ],
    [{ ...messagesBody, system: 42 }, 'system'],
    [{ ...messagesBody, temperature: 1.5 }, 'temperature'],
    [
      { ...messagesBody, stop_sequences: ['a', 'b', 'c', 'd', 'e'] },
      'stop_sequences',
    ],
    [{ ...messagesBody, stop_sequences: ['end', ''] }, 'stop_sequences.1'],
    [{ ...messagesBody, tools: [{ name: 'lookup' }] }, 'tools.0.input_schema'],
    [
      {
        ...messagesBody,
        tools: [{ name: 'bad name!', input_schema: { type: 'object' } }],
      },
      'tools.0.name',
    ],
    [
      {
        ...messagesBody,
        tools: [{ type: 'web_search_20250305', name: 'web_search' }],
      },
      'tools.0.type',
    ],
    [{ ...messagesBody, tool_choice: { type: 'bogus' } }, 'tool_choice.type'],
    [{ ...messagesBody, metadata: { user_id: 5 } }, 'metadata.user_id'],
    [{ ...messagesBody, foo: 1 }, 'foo'],
    [{ ...messagesBody, container: 'container_1' }, 'container'],
    [
      {
        ...messagesBody,
        mcp_servers: [{ type: 'url', url: 'https://x', name: 'x' }],
      },
      'mcp_servers',
    ],
    [{ ...messagesBody, thinking: 'yes' }, 'thinking'],
    [{ ...messagesBody, thinking: { type: 'sometimes' } }, 'thinking.type'],
    [
      { ...messagesBody, thinking: { type: 'enabled', budget_tokens: 1024 } },
      'thinking.budget_tokens',
    ],
    [
      {
        ...messagesBody,
        max_tokens: 4096,
        thinking: { type: 'enabled', budget_tokens: 100 },
      },
      'thinking.budget_tokens',
    ],
    [
      { ...messagesBody, thinking: { type: 'disabled', budget_tokens: 5 } },
      'thinking.budget_tokens',
    ],
    [
      {
        ...messagesBody,
        tools: [
          { name: 'lookup', input_schema: { type: 'object' } },
          { name: 'lookup', input_schema: { type: 'object' } },
        ],
      },
      'tools.1.name',
    ],
    [{ ...messagesBody, service_tier: 'priority' }, 'service_tier'],
    // cache_control in a shape Anthropic refuses, wherever it may stand.
    [
      messagesCached({ type: 'bogus' }, 'text'),
      'messages.0.content.0.cache_control.type',
    ],
    [messagesCached({}, 'image'), 'messages.0.content.1.cache_control.type'],
    [
      messagesCached({ type: 'ephemeral', ttl: '10m' }, 'use'),
      'messages.1.content.0.cache_control.ttl',
    ],
    [
      messagesCached(
        { type: 'ephemeral', ttl: '1h', scope: 'x' },
        'result text',
      ),
      'messages.2.content.0.content.0.cache_control.scope',
    ],
    [
      messagesCached({ type: 'ephemeral', ttl: 3600 }, 'system'),
      'system.0.cache_control.ttl',
    ],
    [messagesCached('ephemeral', 'tool'), 'tools.0.cache_control'],
  ])(
    '/v1/messages refuses %j naming %s, in Anthropic error shape',
    async (body, field) => {
      expect(await post('/v1/messages', body)).toEqual(
        anthropicError(400, 'invalid_request_error', field),
      );
    },
  );

  it.each([
    { type: 'ephemeral' },
    { type: 'ephemeral', ttl: '5m' },
    { type: 'ephemeral', ttl: '1h' },
    { type: 'ephemeral', ttl: null },
    null,
  ])(
    '/v1/messages takes cache_control %j wherever Anthropic takes it',
    async cacheControl => {
      // Two requests: Anthropic takes at most 4 breakpoints in one.
      for (const where of [
        ['system', 'tool', 'text', 'image'],
        ['use', 'result', 'result text'],
      ]) {
        expect(
          (await post('/v1/messages', messagesCached(cacheControl, where)))
            .status,
        ).toBe(200);
      }
    },
  );

  it("answers the Anthropic SDK's other paths, which it does not serve, in Anthropic's shape", async () => {
    for (const path of ['/v1/messages/count_tokens', '/v1/messages/batches']) {
      expect(await post(path, messagesBody)).toEqual(
        anthropicError(404, 'not_found_error'),
      );
    }
    // A path that only begins with the same letters is not Anthropic's.
    expect(await post('/v1/messagesx', messagesBody)).toEqual(openAiError(404));
  });

  it('refuses a body that is not JSON, in each API shape', async () => {
    expect(await post('/v1/responses', '{"model":')).toEqual(openAiError(400));
    expect(await post('/v1/messages', '{"model":')).toEqual(
      anthropicError(400, 'invalid_request_error'),
    );
  });

  it('refuses callers without a valid key: 401 in each shape, through the official clients', async () => {
    expect(await post('/v1/responses', responsesBody, {})).toEqual(
      openAiError(401),
    );
    expect(await post('/v1/messages', messagesBody, {})).toEqual(
      anthropicError(401, 'authentication_error'),
    );
    // x-api-key is Anthropic's header: the Responses API takes Bearer only.
    expect(
      await post('/v1/responses', responsesBody, {
        'x-api-key': KEYS.brightpath,
      }),
    ).toEqual(openAiError(401));
    const openai = new OpenAI({
      apiKey: 'cp-wrong',
      baseURL: `${url}/v1`,
      maxRetries: 0,
    });
    await expect(openai.responses.create(responsesBody)).rejects.toMatchObject({
      status: 401,
      type: 'authentication_error',
    });
    const anthropic = new Anthropic({
      apiKey: 'cp-wrong',
      baseURL: url,
      maxRetries: 0,
    });
    await expect(
      anthropic.messages.create(messagesBody as any),
    ).rejects.toMatchObject({
      status: 401,
      error: { type: 'error', error: { type: 'authentication_error' } },
    });
    expect(events.events).toHaveLength(0);
  });

  it('refuses a model outside the tenant residency as chat does, in each shape', async () => {
    const headers = {
      authorization: `Bearer ${KEYS.northwind}`,
      'x-api-key': KEYS.northwind,
    };
    const chat = await post(
      '/v1/chat/completions',
      { model: 'us-large', messages: [{ role: 'user', content: 'hi' }] },
      headers,
    );
    expect(chat.status).toBe(403);
    const responses = await post(
      '/v1/responses',
      { ...responsesBody, model: 'us-large' },
      headers,
    );
    expect(responses).toEqual(
      openAiError(403, chat.body.error.param ?? undefined),
    );
    expect(responses.body.error.code).toBe(chat.body.error.code);
    expect(
      await post(
        '/v1/messages',
        { ...messagesBody, model: 'us-large' },
        headers,
      ),
    ).toEqual(anthropicError(403, 'permission_error'));
    // Each refusal is recorded as chat's is: one decision and one usage event per request.
    await eventually(() => events.usage().length === 3);
    expect(events.decisions()).toHaveLength(3);
    for (const usage of events.usage() as UsageEvent[]) {
      expect(usage).toMatchObject({ status: 403, outcome: 'rejected' });
    }
  });

  it('refuses data above the tenant classification ceiling, in each shape', async () => {
    const headers = {
      authorization: `Bearer ${KEYS.northwind}`,
      'x-cellport-data-classification': 'RESTRICTED',
    };
    expect(
      await post(
        '/v1/responses',
        { ...responsesBody, model: 'eu-large' },
        headers,
      ),
    ).toEqual(openAiError(403, 'x-cellport-data-classification'));
    expect(
      await post(
        '/v1/messages',
        { ...messagesBody, model: 'eu-large' },
        headers,
      ),
    ).toEqual(anthropicError(403, 'permission_error'));
  });

  it('charges a non-ASCII prompt its bound when the upstream reports no usage, and tells the caller so, as chat does', async () => {
    const prompt = 'Zusammenfassung über Straße 東京の天気は？ 🌧️🌂 مرحبا';
    simulator.catalog.update('us-large-model', { omitUsage: true });
    try {
      await post('/v1/chat/completions', {
        model: 'gpt-4o',
        messages: [{ role: 'user', content: prompt }],
        max_tokens: 8,
      });
      await post('/v1/responses', {
        model: 'gpt-4o',
        input: prompt,
        max_output_tokens: 8,
      });
      const message = await post('/v1/messages', {
        model: 'gpt-4o',
        max_tokens: 8,
        messages: [{ role: 'user', content: prompt }],
      });
      await eventually(() => events.usage().length === 3);
      const [chat, responses, messages] = events.usage() as UsageEvent[];
      // A token a byte at least: what a byte-level tokenizer can bill for this prompt.
      const promptBytes = Buffer.byteLength(prompt);
      for (const usage of [chat, responses, messages]) {
        expect(usage.tokensEstimated).toBe(true);
        expect(usage.inputTokens).toBeGreaterThanOrEqual(promptBytes);
      }
      // What the caller is told is what it is charged.
      expect(message.body.usage.input_tokens).toBe(messages.inputTokens);

      // Streamed, the closing events carry the tokenizer's count too.
      events.events.length = 0;
      const streamed = async (path: string, body: object) => {
        const response = await fetch(`${url}${path}`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            authorization: `Bearer ${KEYS.brightpath}`,
          },
          body: JSON.stringify({ ...body, stream: true }),
        });
        const sse = (await response.text()).trim().split('\n\n');
        return sse.map(event => JSON.parse(event.split('data: ')[1]));
      };
      const responseEvents = await streamed('/v1/responses', {
        model: 'gpt-4o',
        input: prompt,
        max_output_tokens: 8,
      });
      const messageEvents = await streamed('/v1/messages', {
        model: 'gpt-4o',
        max_tokens: 8,
        messages: [{ role: 'user', content: prompt }],
      });
      await eventually(() => events.usage().length === 2);
      const [streamedResponse, streamedMessage] =
        events.usage() as UsageEvent[];
      // The streamed bodies are a few bytes longer (`"stream":true`), and so are their bounds.
      for (const usage of [streamedResponse, streamedMessage]) {
        expect(usage).toMatchObject({ stream: true, tokensEstimated: true });
        expect(usage.inputTokens).toBeGreaterThanOrEqual(promptBytes);
      }
      expect(
        responseEvents[responseEvents.length - 1].response.usage,
      ).toMatchObject({
        input_tokens: streamedResponse.inputTokens,
        output_tokens: streamedResponse.outputTokens,
      });
      expect(messageEvents[messageEvents.length - 2]).toMatchObject({
        type: 'message_delta',
        usage: {
          input_tokens: streamedMessage.inputTokens,
          output_tokens: streamedMessage.outputTokens,
        },
      });
    } finally {
      simulator.catalog.update('us-large-model', { omitUsage: false });
    }
  });

  it("ends a stream the upstream breaks with the API's own error event", async () => {
    simulator.faults.add({
      mode: 'cut',
      model: 'us-large-model',
      extraLatencyMs: 0,
      retryAfterSeconds: 1,
    });
    try {
      const lastEvent = async (path: string, body: unknown) => {
        const response = await fetch(`${url}${path}`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            authorization: `Bearer ${KEYS.brightpath}`,
          },
          body: JSON.stringify({ ...(body as object), stream: true }),
        });
        expect(response.status).toBe(200);
        const sse = (await response.text()).trim().split('\n\n');
        return sse.slice(-2);
      };
      const [before, responses] = await lastEvent(
        '/v1/responses',
        responsesBody,
      );
      expect(responses).toMatch(/^event: error\ndata: /);
      // The error event continues the stream's numbering.
      expect(JSON.parse(responses.split('data: ')[1])).toMatchObject({
        type: 'error',
        code: 'upstream_stream_broken',
        sequence_number:
          JSON.parse(before.split('data: ')[1]).sequence_number + 1,
      });
      const [, messages] = await lastEvent('/v1/messages', messagesBody);
      expect(messages).toMatch(/^event: error\ndata: /);
      expect(JSON.parse(messages.split('data: ')[1])).toEqual({
        type: 'error',
        error: { type: 'api_error', message: expect.any(String) },
      });
      await eventually(() => events.usage().length === 2);
      for (const usage of events.usage() as UsageEvent[]) {
        expect(usage).toMatchObject({ status: 502, tokensEstimated: true });
      }
    } finally {
      simulator.faults.clear();
    }
  });

  it("refuses a tenant over its requests per minute, 429 with Retry-After in each shape, counting every API's requests together", async () => {
    const state = testState(simulator.url, 'rpm');
    state.tenants[1].limits = {
      requestsPerMinute: 3,
      tokensPerMinute: 100_000_000,
    };
    // A minute that began mid-test would serve the refused requests.
    const limited = await startGateway(simulator.url, {
      state,
      overrides: { now: clockFromMinuteStart() },
    });
    try {
      const openai = new OpenAI({
        apiKey: KEYS.brightpath,
        baseURL: `${limited.url}/v1`,
        maxRetries: 0,
      });
      const anthropic = new Anthropic({
        apiKey: KEYS.brightpath,
        baseURL: limited.url,
        maxRetries: 0,
      });
      // One request on each API uses the minute's three.
      await openai.chat.completions.create({
        model: 'gpt-4o',
        messages: [{ role: 'user', content: 'hi' }],
        max_tokens: 8,
      });
      await openai.responses.create({
        ...responsesBody,
        max_output_tokens: 16,
      });
      await anthropic.messages.create(messagesBody as any);
      const responses = await openai.responses
        .create(responsesBody)
        .catch(error => error);
      expect(responses).toMatchObject({
        status: 429,
        code: 'rate_limit_exceeded',
        type: 'rate_limit_error',
      });
      expect(responses.headers.get('retry-after')).toMatch(/^\d+$/);
      const messages = await anthropic.messages
        .create(messagesBody as any)
        .catch(error => error);
      expect(messages).toBeInstanceOf(Anthropic.RateLimitError);
      expect(messages.error.error.type).toBe('rate_limit_error');
      expect(messages.headers.get('retry-after')).toMatch(/^\d+$/);
    } finally {
      await limited.gateway.stop();
    }
  });

  it('refuses a tenant whose budget is spent, 429 in each shape, as chat does', async () => {
    const state = testState(simulator.url, 'spent');
    state.tenants[1].monthlyBudgetUsd = 0.000001;
    simulator.stats.reset();
    const spent = await startGateway(simulator.url, { state });
    try {
      const openai = new OpenAI({
        apiKey: KEYS.brightpath,
        baseURL: `${spent.url}/v1`,
        maxRetries: 0,
      });
      const chat = await openai.chat.completions
        .create({
          model: 'gpt-4o',
          messages: [{ role: 'user', content: 'hi' }],
        })
        .catch(error => error);
      expect(chat).toMatchObject({ status: 429, code: 'budget_exhausted' });
      await expect(
        openai.responses.create(responsesBody),
      ).rejects.toMatchObject({
        status: 429,
        code: 'budget_exhausted',
        type: 'rate_limit_error',
      });
      const anthropic = new Anthropic({
        apiKey: KEYS.brightpath,
        baseURL: spent.url,
        maxRetries: 0,
      });
      const refused = await anthropic.messages
        .create(messagesBody as any)
        .catch(error => error);
      expect(refused).toBeInstanceOf(Anthropic.RateLimitError);
      expect(refused.error).toEqual({
        type: 'error',
        error: {
          type: 'rate_limit_error',
          message: expect.stringContaining('budget'),
        },
      });
      expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(simulator.stats.snapshot().requests).toBe(0);
    } finally {
      await spent.gateway.stop();
    }
  });

  it("names the caller's own field when a request does not fit the context, and caps an output limit above the profile's", async () => {
    const state = testState(simulator.url, 'small-context');
    for (const profile of state.modelProfiles) {
      profile.contextLength = 5_000;
      profile.maxOutputTokens = 1_000;
    }
    const small = await startGateway(simulator.url, { state });
    const ask = async (path: string, body: object) => {
      const answer = await fetch(`${small.url}${path}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${KEYS.brightpath}`,
        },
        body: JSON.stringify(body),
      });
      return { status: answer.status, body: await answer.json() };
    };
    // About 6,004 tokens: longer than the 5,000-token context on its own.
    const tooLong = 'x'.repeat(24_000);
    // About 4,004: fits alone, not with the 1,000 output tokens the profile allows.
    const nearlyFull = 'x'.repeat(16_000);
    const chat = (content: string, extra: object = {}) => ({
      model: 'gpt-4o',
      messages: [{ role: 'user', content }],
      ...extra,
    });
    const cases: Array<[string, object, string]> = [
      ['/v1/chat/completions', chat(tooLong, { max_tokens: 16 }), 'messages'],
      ['/v1/chat/completions', chat(tooLong), 'messages'],
      [
        '/v1/chat/completions',
        chat(nearlyFull, { max_tokens: 5000 }),
        'max_tokens',
      ],
      [
        '/v1/chat/completions',
        chat(nearlyFull, { max_completion_tokens: 1000 }),
        'max_completion_tokens',
      ],
      ['/v1/responses', { ...responsesBody, input: tooLong }, 'input'],
      [
        '/v1/responses',
        { ...responsesBody, input: nearlyFull, max_output_tokens: 9000 },
        'max_output_tokens',
      ],
    ];
    try {
      for (const [path, body, param] of cases) {
        const answer = await ask(path, body);
        expect({ path, ...answer }).toEqual({
          path,
          ...openAiError(400, param),
        });
        expect(answer.body.error.code).toBe('context_length_exceeded');
      }
      const messages = (content: string, maxTokens: number) => ({
        ...messagesBody,
        max_tokens: maxTokens,
        messages: [{ role: 'user', content }],
      });
      expect(await ask('/v1/messages', messages(tooLong, 16))).toEqual(
        anthropicError(400, 'invalid_request_error', 'messages'),
      );
      expect(await ask('/v1/messages', messages(nearlyFull, 8000))).toEqual(
        anthropicError(400, 'invalid_request_error', 'max_tokens'),
      );
      // An output limit above the profile's is capped, as the upstream is asked: served.
      simulator.stats.reset();
      const served = [
        await ask(
          '/v1/chat/completions',
          chat('hi', { max_tokens: 999_999_999 }),
        ),
        await ask('/v1/responses', {
          ...responsesBody,
          max_output_tokens: 200_000,
        }),
        await ask('/v1/messages', messages('hi', 200_000)),
      ];
      expect(served.map(answer => answer.status)).toEqual([200, 200, 200]);
      expect(simulator.stats.snapshot().requests).toBe(3);
    } finally {
      await small.gateway.stop();
    }
  });
});
