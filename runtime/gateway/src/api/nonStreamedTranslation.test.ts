/**
 * Non-streamed Responses and Messages requests against a real HTTP upstream that keeps every
 * body it gets: each field the README says the gateway takes reaches an OpenAI-protocol
 * upstream as the chat field it describes (or an Anthropic one as its own), the answer comes
 * back in the caller's API's shape with the upstream's usage, and a field the gateway refuses
 * is a 400 that names it in the caller's terms, with nothing sent upstream.
 * `translatedApiChecks.test.ts` and `hostileInput.test.ts` hold the other refusals.
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
import { RecordingUpstream } from '../__testUtils__/RecordingUpstream';
import type { Gateway } from '../createGateway';

// Real servers: generous limits so a loaded CI machine does not fail them.
jest.setTimeout(30_000);

/** A chat completion of one choice, with cached prompt and reasoning tokens in its usage. */
const completion = (message: object, finish: string, extra: object = {}) =>
  JSON.stringify({
    id: 'chatcmpl-9',
    object: 'chat.completion',
    created: 1700000000,
    model: 'up-model',
    choices: [
      {
        index: 0,
        message: { role: 'assistant', ...message },
        finish_reason: finish,
        ...extra,
      },
    ],
    usage: {
      prompt_tokens: 30,
      completion_tokens: 5,
      total_tokens: 35,
      prompt_tokens_details: { cached_tokens: 10 },
      completion_tokens_details: { reasoning_tokens: 2 },
    },
  });

describe('non-streamed Responses and Messages requests, translated', () => {
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

  it('responses: every accepted field reaches an OpenAI-protocol upstream as its chat field, metadata included', async () => {
    upstream.answer = (_req, res) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end(
        completion(
          {
            content: null,
            tool_calls: [
              {
                id: 'call_1',
                type: 'function',
                function: { name: 'lookup', arguments: '{"q":"x"}' },
              },
            ],
          },
          'tool_calls',
        ),
      );
    const response = await postChat(
      url,
      {
        model: 'gpt-4o',
        instructions: 'Be brief.',
        input: [
          {
            role: 'user',
            content: [
              { type: 'input_text', text: 'Look' },
              {
                type: 'input_image',
                image_url: 'https://example.com/a.png',
                detail: 'low',
              },
            ],
          },
        ],
        metadata: { trace: 't1' },
        temperature: 0.3,
        top_p: 0.9,
        max_output_tokens: 64,
        tools: [
          {
            type: 'function',
            name: 'lookup',
            parameters: {
              type: 'object',
              properties: { q: { type: 'string' } },
            },
          },
        ],
        tool_choice: { type: 'function', name: 'lookup' },
        parallel_tool_calls: false,
        text: { verbosity: 'low' },
        reasoning: { effort: 'low' },
        user: 'u1',
        prompt_cache_key: 'k',
        store: false,
      },
      { key: KEYS.brightpath, path: '/v1/responses' },
    );
    const answer = await response.json();
    expect(response.status).toBe(200);
    const sent = upstream.bodies[0];
    expect(sent).toMatchObject({
      messages: [
        { role: 'system', content: 'Be brief.' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Look' },
            {
              type: 'image_url',
              image_url: { url: 'https://example.com/a.png', detail: 'low' },
            },
          ],
        },
      ],
      temperature: 0.3,
      top_p: 0.9,
      max_completion_tokens: 64,
      tools: [
        {
          type: 'function',
          function: {
            name: 'lookup',
            strict: true,
            parameters: {
              type: 'object',
              properties: { q: { type: 'string' } },
              required: ['q'],
              additionalProperties: false,
            },
          },
        },
      ],
      tool_choice: { type: 'function', function: { name: 'lookup' } },
      parallel_tool_calls: false,
      verbosity: 'low',
      reasoning_effort: 'low',
      user: 'u1',
      prompt_cache_key: 'k',
    });
    // The README passes `metadata` to the upstream as chat's own field.
    expect(sent.metadata).toEqual({ trace: 't1' });
    expect(answer).toMatchObject({
      id: expect.stringMatching(/^resp_/),
      object: 'response',
      status: 'completed',
      metadata: { trace: 't1' },
      store: false,
      output: [
        {
          type: 'function_call',
          id: expect.stringMatching(/^fc_/),
          call_id: 'call_1',
          name: 'lookup',
          arguments: '{"q":"x"}',
          status: 'completed',
        },
      ],
      usage: {
        input_tokens: 30,
        input_tokens_details: { cached_tokens: 10 },
        output_tokens: 5,
        output_tokens_details: { reasoning_tokens: 2 },
        total_tokens: 35,
      },
    });
  });

  it('messages: every accepted field reaches an OpenAI-protocol upstream as the README says; the answer is a Messages message', async () => {
    // vLLM names the stop sequence that ended an answer in the choice's stop_reason.
    upstream.answer = (_req, res) =>
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(completion({ content: 'Result' }, 'stop', { stop_reason: 'END' }));
    const response = await postChat(
      url,
      {
        model: 'gpt-4o',
        max_tokens: 2048,
        system: [
          { type: 'text', text: 'A' },
          { type: 'text', text: 'B', cache_control: { type: 'ephemeral' } },
        ],
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'Look' },
              {
                type: 'image',
                source: {
                  type: 'base64',
                  media_type: 'image/png',
                  data: 'iVBORw0KGgo=',
                },
              },
            ],
          },
          {
            role: 'assistant',
            content: [
              { type: 'thinking', thinking: 'hmm', signature: 'sig' },
              { type: 'text', text: 'Calling' },
              {
                type: 'tool_use',
                id: 'toolu_1',
                name: 'lookup',
                input: { q: 'x' },
              },
            ],
          },
          {
            role: 'user',
            content: [
              { type: 'text', text: 'and?' },
              {
                type: 'tool_result',
                tool_use_id: 'toolu_1',
                content: 'found',
                is_error: false,
              },
            ],
          },
        ],
        tools: [
          {
            name: 'lookup',
            description: 'd',
            input_schema: {
              type: 'object',
              properties: { q: { type: 'string' } },
            },
          },
        ],
        tool_choice: { type: 'any', disable_parallel_tool_use: true },
        stop_sequences: ['END'],
        temperature: 0.5,
        top_p: 0.8,
        top_k: 5,
        metadata: { user_id: 'u1' },
        thinking: { type: 'enabled', budget_tokens: 1024 },
        service_tier: 'auto',
      },
      { key: KEYS.brightpath, path: '/v1/messages' },
    );
    const answer = await response.json();
    expect(response.status).toBe(200);
    const sent = upstream.bodies[0];
    expect(sent.messages).toEqual([
      {
        role: 'system',
        content: [
          { type: 'text', text: 'A' },
          { type: 'text', text: 'B' },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'Look' },
          {
            type: 'image_url',
            image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' },
          },
        ],
      },
      {
        role: 'assistant',
        content: 'Calling',
        tool_calls: [
          {
            id: 'toolu_1',
            type: 'function',
            function: { name: 'lookup', arguments: '{"q":"x"}' },
          },
        ],
      },
      { role: 'tool', tool_call_id: 'toolu_1', content: 'found' },
      { role: 'user', content: 'and?' },
    ]);
    expect(sent).toMatchObject({
      tools: [
        {
          type: 'function',
          function: {
            name: 'lookup',
            description: 'd',
            parameters: {
              type: 'object',
              properties: { q: { type: 'string' } },
            },
          },
        },
      ],
      tool_choice: 'required',
      parallel_tool_calls: false,
      stop: ['END'],
      temperature: 0.5,
      top_p: 0.8,
      user: 'u1',
      max_completion_tokens: 2048,
    });
    // Fields chat has no word for are checked, then left out.
    for (const absent of [
      'top_k',
      'thinking',
      'service_tier',
      'metadata',
      'system',
    ])
      expect(sent).not.toHaveProperty(absent);
    expect(answer).toEqual({
      id: expect.stringMatching(/^msg_/),
      type: 'message',
      role: 'assistant',
      model: 'up-model',
      content: [{ type: 'text', text: 'Result' }],
      stop_reason: 'stop_sequence',
      stop_sequence: 'END',
      // Anthropic counts the prompt apart from the part its cache served: 30 less 10.
      usage: {
        input_tokens: 20,
        output_tokens: 5,
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 10,
      },
    });
    await eventually(() => events.usage().length === 1);
    expect(events.usage()[0] as UsageEvent).toMatchObject({
      inputTokens: 30,
      outputTokens: 5,
    });
  });

  it('messages: to an Anthropic profile, stop sequences, user id, tool choice and its parallel flag arrive as Anthropic fields; the stop sequence comes back', async () => {
    upstream.answer = (_req, res) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          id: 'msg_up',
          type: 'message',
          role: 'assistant',
          model: 'claude-model',
          content: [{ type: 'text', text: 'Hi' }],
          stop_reason: 'stop_sequence',
          stop_sequence: 'END',
          usage: {
            input_tokens: 20,
            output_tokens: 5,
            cache_read_input_tokens: 10,
          },
        }),
      );
    const response = await postChat(
      url,
      {
        model: 'claude-haiku',
        max_tokens: 100,
        system: 'Sys',
        messages: [{ role: 'user', content: 'hi' }],
        tools: [
          { name: 'lookup', input_schema: { type: 'object', properties: {} } },
        ],
        tool_choice: { type: 'any', disable_parallel_tool_use: true },
        stop_sequences: ['END'],
        temperature: 0.2,
        metadata: { user_id: 'u1' },
      },
      { key: KEYS.brightpath, path: '/v1/messages' },
    );
    const answer = await response.json();
    expect(response.status).toBe(200);
    expect(upstream.paths[0]).toBe('/v1/messages');
    expect(upstream.bodies[0]).toMatchObject({
      system: 'Sys',
      max_tokens: 100,
      stop_sequences: ['END'],
      temperature: 0.2,
      metadata: { user_id: 'u1' },
      tool_choice: { type: 'any', disable_parallel_tool_use: true },
      tools: [
        { name: 'lookup', input_schema: { type: 'object', properties: {} } },
      ],
    });
    expect(answer).toMatchObject({
      type: 'message',
      stop_reason: 'stop_sequence',
      stop_sequence: 'END',
      usage: {
        input_tokens: 20,
        output_tokens: 5,
        cache_read_input_tokens: 10,
      },
    });
  });

  const responsesRefusals: [string, string, Record<string, unknown>][] = [
    [
      'function_call arguments not text',
      'input.0.arguments',
      {
        input: [
          { type: 'function_call', call_id: 'c', name: 'f', arguments: {} },
        ],
      },
    ],
    [
      'tool parameters an array',
      'tools.0.parameters',
      { input: 'x', tools: [{ type: 'function', name: 'f', parameters: [] }] },
    ],
    [
      'image_url not text',
      'input.0.content.0.image_url',
      {
        input: [
          { role: 'user', content: [{ type: 'input_image', image_url: 5 }] },
        ],
      },
    ],
    // Before: a detail that was not text was dropped, not refused.
    [
      'an image detail that is not text',
      'input.0.content.0.detail',
      {
        input: [
          {
            role: 'user',
            content: [
              {
                type: 'input_image',
                image_url: 'https://example.com/a.png',
                detail: 7,
              },
            ],
          },
        ],
      },
    ],
    [
      'tool_choice required without tools',
      'tool_choice',
      { input: 'x', tool_choice: 'required' },
    ],
    [
      'an image detail chat does not know, after instructions',
      'input.1.content.0.detail',
      {
        instructions: 'sys',
        input: [
          { role: 'user', content: 'x' },
          {
            role: 'user',
            content: [
              {
                type: 'input_image',
                image_url: 'https://example.com/a.png',
                detail: 'ultra',
              },
            ],
          },
        ],
      },
    ],
    [
      'input item content null',
      'input.0.content',
      { input: [{ role: 'user', content: null }] },
    ],
    ['tool not an object', 'tools.0', { input: 'x', tools: [null] }],
  ];

  it.each(responsesRefusals)(
    'responses refuses %s with 400 naming %s',
    async (_name, param, body) => {
      const response = await postChat(
        url,
        { model: 'gpt-4o', ...body },
        { key: KEYS.brightpath, path: '/v1/responses' },
      );
      const answer = await response.json();
      // Named as the caller's Responses field, not the chat body's it was translated to.
      expect({
        status: response.status,
        param: answer.error?.param,
        message: answer.error?.message,
      }).toEqual({
        status: 400,
        param,
        message: expect.stringContaining(param),
      });
      expect(upstream.bodies).toHaveLength(0);
    },
  );

  const messagesRefusals: [string, string, Record<string, unknown>][] = [
    [
      'an image inside a tool result',
      'messages.1.content.0.content.0.type',
      {
        messages: [
          {
            role: 'assistant',
            content: [{ type: 'tool_use', id: 't', name: 'f', input: {} }],
          },
          {
            role: 'user',
            content: [
              {
                type: 'tool_result',
                tool_use_id: 't',
                content: [
                  {
                    type: 'image',
                    source: { type: 'url', url: 'https://x/a.png' },
                  },
                ],
              },
            ],
          },
        ],
        tools: [{ name: 'f', input_schema: { type: 'object' } }],
      },
    ],
    [
      'tool_choice naming an unknown tool',
      'tool_choice.name',
      {
        messages: [{ role: 'user', content: 'x' }],
        tools: [{ name: 'f', input_schema: { type: 'object' } }],
        tool_choice: { type: 'tool', name: 'g' },
      },
    ],
    [
      'a system block whose text is not text',
      'system.0.text',
      {
        messages: [{ role: 'user', content: 'x' }],
        system: [{ type: 'text', text: 5 }],
      },
    ],
    [
      'a block that is null',
      'messages.0.content.0',
      { messages: [{ role: 'user', content: [null] }] },
    ],
    [
      'tool_choice a string',
      'tool_choice',
      { messages: [{ role: 'user', content: 'x' }], tool_choice: 'auto' },
    ],
  ];

  it.each(messagesRefusals)(
    'messages refuses %s with 400 naming %s',
    async (_name, field, body) => {
      const response = await postChat(
        url,
        { model: 'gpt-4o', max_tokens: 2048, ...body },
        { key: KEYS.brightpath, path: '/v1/messages' },
      );
      const answer = await response.json();
      expect({ status: response.status, type: answer.error?.type }).toEqual({
        status: 400,
        type: 'invalid_request_error',
      });
      // The message names the caller's Messages field, not the chat body's it was translated to.
      expect(answer.error.message).toMatch(
        new RegExp(`(^|\\W)${field.replace(/\./g, '\\.')}(\\W|$)`),
      );
      expect(upstream.bodies).toHaveLength(0);
    },
  );
});
