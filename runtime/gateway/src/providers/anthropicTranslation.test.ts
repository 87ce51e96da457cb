import {
  fromAnthropicResponse,
  toAnthropicRequest,
} from './anthropicTranslation';
import { AnthropicStreamTranslator } from './AnthropicStreamTranslator';

describe('Anthropic translation', () => {
  it('moves system messages out, merges turns and maps tools', () => {
    const request = toAnthropicRequest(
      {
        messages: [
          { role: 'system', content: 'rules' },
          { role: 'user', content: 'weather?' },
          {
            role: 'assistant',
            content: null,
            tool_calls: [
              {
                id: 'call_1',
                type: 'function',
                function: { name: 'weather', arguments: '{"city":"Oslo"}' },
              },
            ],
          },
          { role: 'tool', tool_call_id: 'call_1', content: 'sunny' },
          {
            role: 'user',
            content: [
              { type: 'text', text: 'thanks' },
              {
                type: 'image_url',
                image_url: { url: 'data:image/png;base64,AAAA' },
              },
            ],
          },
        ],
        tools: [
          {
            type: 'function',
            function: { name: 'weather', parameters: { type: 'object' } },
          },
        ],
        tool_choice: 'required',
        stop: 'END',
        user: 'end-user-7',
      },
      'claude-x',
      1000,
    );
    expect(request.system).toBe('rules');
    // Chat's end user is Anthropic's metadata.user_id (a Messages caller's own, sent on).
    expect(request.metadata).toEqual({ user_id: 'end-user-7' });
    expect(request.max_tokens).toBe(1000);
    expect(request.messages.map((m: { role: string }) => m.role)).toEqual([
      'user',
      'assistant',
      'user',
    ]);
    expect(request.messages[1].content[0]).toEqual({
      type: 'tool_use',
      id: 'call_1',
      name: 'weather',
      input: { city: 'Oslo' },
    });
    expect(request.messages[2].content[0]).toMatchObject({
      type: 'tool_result',
      tool_use_id: 'call_1',
    });
    expect(request.messages[2].content[2]).toMatchObject({
      type: 'image',
      source: { type: 'base64', media_type: 'image/png' },
    });
    expect(request.tools[0]).toEqual({
      name: 'weather',
      description: undefined,
      input_schema: { type: 'object' },
    });
    expect(request.tool_choice).toEqual({ type: 'any' });
    expect(request.stop_sequences).toEqual(['END']);
  });

  it('carries the older functions form both ways: definitions and calls as tools, the call back as function_call', () => {
    const weather = {
      name: 'weather',
      description: 'the weather in a city',
      parameters: { type: 'object', properties: { city: { type: 'string' } } },
    };
    const request = toAnthropicRequest(
      {
        functions: [weather],
        function_call: { name: 'weather' },
        messages: [
          { role: 'user', content: 'weather in Oslo?' },
          {
            role: 'assistant',
            content: null,
            function_call: { name: 'weather', arguments: '{"city":"Oslo"}' },
          },
          { role: 'function', name: 'weather', content: 'snow' },
        ],
      },
      'claude-x',
      1024,
    );
    expect(request.tools).toEqual([
      {
        name: 'weather',
        description: 'the weather in a city',
        input_schema: weather.parameters,
      },
    ]);
    expect(request.tool_choice).toEqual({
      type: 'tool',
      name: 'weather',
      disable_parallel_tool_use: true,
    });
    const [, call, result] = request.messages;
    const id = call.content[0].id;
    expect(call.content).toEqual([
      { type: 'tool_use', id, name: 'weather', input: { city: 'Oslo' } },
    ]);
    expect(result.content).toEqual([
      { type: 'tool_result', tool_use_id: id, content: 'snow' },
    ]);

    const toolUse = {
      type: 'tool_use',
      id: 'tu_1',
      name: 'weather',
      input: { city: 'Oslo' },
    };
    const answer = fromAnthropicResponse(
      {
        id: 'msg_1',
        model: 'claude-x',
        content: [toolUse],
        stop_reason: 'tool_use',
        usage: { input_tokens: 10, output_tokens: 3 },
      },
      0,
      true,
    );
    expect(answer.choices[0]).toEqual(
      expect.objectContaining({
        finish_reason: 'function_call',
        message: {
          role: 'assistant',
          content: null,
          function_call: { name: 'weather', arguments: '{"city":"Oslo"}' },
        },
      }),
    );

    const translator = new AnthropicStreamTranslator(false, 0, true);
    const streamed = translator.push(
      [
        '{"type":"message_start","message":{"id":"m","model":"c","usage":{"input_tokens":7}}}',
        '{"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":"tu_1","name":"weather","input":{}}}',
        '{"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":"{\\"city\\":\\"Oslo\\"}"}}',
        '{"type":"message_delta","delta":{"stop_reason":"tool_use"},"usage":{"output_tokens":3}}',
        '{"type":"message_stop"}',
      ]
        .map(event => `data: ${event}\n\n`)
        .join(''),
    );
    const deltas = streamed
      .split('\n\n')
      .filter(event => event.startsWith('data: {'))
      .map(event => JSON.parse(event.slice(6)).choices[0]);
    expect(deltas.map(choice => choice.delta.function_call)).toEqual([
      undefined,
      { name: 'weather', arguments: '' },
      { arguments: '{"city":"Oslo"}' },
      undefined,
    ]);
    expect(deltas.some(choice => choice.delta.tool_calls)).toBe(false);
    expect(deltas[deltas.length - 1].finish_reason).toBe('function_call');
  });

  it('maps tool_use answers to tool_calls', () => {
    const answer = fromAnthropicResponse(
      {
        id: 'msg_1',
        model: 'claude-x',
        content: [
          {
            type: 'tool_use',
            id: 'tu_1',
            name: 'weather',
            input: { city: 'Oslo' },
          },
        ],
        stop_reason: 'tool_use',
        usage: { input_tokens: 10, output_tokens: 3 },
      },
      0,
    );
    expect(answer.choices[0]).toMatchObject({
      finish_reason: 'tool_calls',
      message: {
        content: null,
        tool_calls: [
          {
            id: 'tu_1',
            function: { name: 'weather', arguments: '{"city":"Oslo"}' },
          },
        ],
      },
    });
    expect(answer.usage).toEqual({
      prompt_tokens: 10,
      completion_tokens: 3,
      total_tokens: 13,
    });
  });

  it('translates events split across arbitrary chunk boundaries', () => {
    const events = [
      'event: message_start\ndata: {"type":"message_start","message":{"id":"m","model":"c","usage":{"input_tokens":7,"output_tokens":1}}}\n\n',
      'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi"}}\n\n',
      'event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":1}}\n\n',
      'event: message_stop\ndata: {"type":"message_stop"}\n\n',
    ].join('');
    const translator = new AnthropicStreamTranslator(true, 0);
    let out = '';
    for (let i = 0; i < events.length; i += 7)
      out += translator.push(events.slice(i, i + 7));
    expect(out).toContain('"content":"Hi"');
    expect(out).toContain('"finish_reason":"stop"');
    expect(out).toContain(
      '"usage":{"prompt_tokens":7,"completion_tokens":1,"total_tokens":8}',
    );
    expect(out.endsWith('data: [DONE]\n\n')).toBe(true);
    expect(translator.usage).toEqual({ inputTokens: 7, outputTokens: 1 });
  });

  /** Translates a stream of Anthropic events given as objects; returns the chunks' JSON. */
  const translated = (events: object[]) => {
    const translator = new AnthropicStreamTranslator(true, 0);
    const out = translator.push(
      events
        .map(e => `event: ${(e as any).type}\ndata: ${JSON.stringify(e)}\n\n`)
        .join(''),
    );
    const chunks = out
      .split('\n\n')
      .filter(line => line.startsWith('data: {'))
      .map(line => JSON.parse(line.slice(6)));
    return { translator, chunks };
  };
  const messageStart = (usage: object) => ({
    type: 'message_start',
    message: { id: 'm', model: 'c', usage },
  });
  const stop = (usage: object, reason = 'end_turn') => [
    { type: 'message_delta', delta: { stop_reason: reason }, usage },
    { type: 'message_stop' },
  ];
  const argumentsOf = (chunks: any[]) =>
    chunks
      .flatMap(c => c.choices[0]?.delta?.tool_calls ?? [])
      .map((call: any) => call.function.arguments)
      .join('');

  it("charges the prompt counts of the last message_delta, which are cumulative, over message_start's", () => {
    const { translator, chunks } = translated([
      messageStart({ input_tokens: 10, output_tokens: 1 }),
      {
        type: 'content_block_start',
        index: 0,
        content_block: { type: 'text', text: '' },
      },
      {
        type: 'content_block_delta',
        index: 0,
        delta: { type: 'text_delta', text: 'Hi' },
      },
      { type: 'content_block_stop', index: 0 },
      ...stop({
        input_tokens: 1500,
        cache_read_input_tokens: 200,
        output_tokens: 20,
      }),
    ]);
    expect(translator.usage).toEqual({
      inputTokens: 1700,
      outputTokens: 20,
      cachedInputTokens: 200,
    });
    expect(chunks[chunks.length - 1].usage).toMatchObject({
      prompt_tokens: 1700,
      completion_tokens: 20,
    });
  });

  it('keeps the prompt count of message_start when a message_delta reports less (a relay writing 0)', () => {
    for (const reported of [0, 10]) {
      const { translator } = translated([
        messageStart({ input_tokens: 1000, output_tokens: 1 }),
        ...stop({ input_tokens: reported, output_tokens: 20 }),
      ]);
      expect(translator.usage).toEqual({ inputTokens: 1000, outputTokens: 20 });
    }
  });

  it('gives a streamed tool call with no input the arguments {}, as the answer not streamed has', () => {
    const { chunks } = translated([
      messageStart({ input_tokens: 10, output_tokens: 1 }),
      {
        type: 'content_block_start',
        index: 0,
        content_block: {
          type: 'tool_use',
          id: 'toolu_1',
          name: 'now',
          input: {},
        },
      },
      { type: 'content_block_stop', index: 0 },
      ...stop({ output_tokens: 5 }, 'tool_use'),
    ]);
    expect(argumentsOf(chunks)).toBe('{}');
  });

  it('keeps content that comes in a content_block_start: prefilled text, whole tool input', () => {
    const { chunks } = translated([
      messageStart({ input_tokens: 10, output_tokens: 1 }),
      {
        type: 'content_block_start',
        index: 0,
        content_block: { type: 'text', text: 'PREFILLED ' },
      },
      {
        type: 'content_block_delta',
        index: 0,
        delta: { type: 'text_delta', text: 'rest' },
      },
      { type: 'content_block_stop', index: 0 },
      {
        type: 'content_block_start',
        index: 1,
        content_block: {
          type: 'tool_use',
          id: 'toolu_1',
          name: 'f',
          input: { x: 1 },
        },
      },
      { type: 'content_block_stop', index: 1 },
      ...stop({ output_tokens: 9 }, 'tool_use'),
    ]);
    const text = chunks.map(c => c.choices[0]?.delta?.content ?? '').join('');
    expect(text).toBe('PREFILLED rest');
    expect(argumentsOf(chunks)).toBe('{"x":1}');
  });

  it('cuts off an upstream that streams more output than any answer holds', () => {
    const translator = new AnthropicStreamTranslator(true, 0);
    translator.push(
      'data: {"type":"message_start","message":{"id":"m","model":"c","usage":{"input_tokens":7,"output_tokens":1}}}\n\n',
    );
    const mebibyte = 'a'.repeat(1024 * 1024);
    const delta = `data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"${mebibyte}"}}\n\n`;
    let taken = 0;
    expect(() => {
      for (let i = 1; i <= 30; i++) {
        translator.push(delta);
        translator.throwIfBroken();
        taken = i;
      }
    }).toThrow(/more than \d+ characters of output/);
    expect(taken).toBe(16);
  });

  it('lets event types it does not know through anywhere, as Anthropic asks of clients', () => {
    const translator = new AnthropicStreamTranslator(true, 0);
    const out = translator.push(
      [
        '{"type":"future_event"}',
        '{"type":"message_start","message":{"id":"m","model":"c","usage":{"input_tokens":7,"output_tokens":1}}}',
        '{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}',
        '{"type":"another_future_event"}',
        '{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi"}}',
        '{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":1}}',
        '{"type":"message_stop"}',
      ]
        .map(event => `data: ${event}\n\n`)
        .join(''),
    );
    expect(out).toContain('"content":"Hi"');
    expect(out.endsWith('data: [DONE]\n\n')).toBe(true);
  });

  it('translates a CR-framed event as soon as it is complete', () => {
    const translator = new AnthropicStreamTranslator(true, 0);
    const start =
      'event: message_start\rdata: {"type":"message_start","message":{"id":"m","model":"c","usage":{"input_tokens":7,"output_tokens":1}}}\r\r';
    const delta =
      'event: content_block_delta\rdata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi"}}\r\r';
    translator.push(start);
    expect(translator.push(delta)).toContain('"content":"Hi"');
  });

  it('translates the good events read together with an error event, then fails; a first read fails whole', () => {
    const event = (data: object) =>
      `event: x\ndata: ${JSON.stringify(data)}\n\n`;
    const start = event({
      type: 'message_start',
      message: { id: 'm', model: 'claude', usage: { input_tokens: 1 } },
    });
    const block = event({
      type: 'content_block_start',
      index: 0,
      content_block: { type: 'text', text: '' },
    });
    const text = (piece: string) =>
      event({
        type: 'content_block_delta',
        index: 0,
        delta: { type: 'text_delta', text: piece },
      });
    const error = event({ type: 'error', error: { type: 'overloaded_error' } });
    const translator = new AnthropicStreamTranslator(false, 0);
    expect(translator.push(start + block + text('partial '))).toContain(
      'partial ',
    );
    expect(translator.push(text('text') + error)).toContain('"text"');
    expect(() => translator.throwIfBroken()).toThrow(/overloaded_error/);
    expect(() => translator.end()).toThrow(/overloaded_error/);
    expect(() =>
      new AnthropicStreamTranslator(false, 0).push(start + block + error),
    ).toThrow(/overloaded_error/);
  });

  it('keeps text parts as blocks of their own in system, assistant and tool turns', () => {
    const parts = (...pieces: string[]) =>
      pieces.map(piece => ({ type: 'text', text: piece }));
    const request = toAnthropicRequest(
      {
        messages: [
          { role: 'system', content: parts('Rules.', 'More rules.') },
          { role: 'user', content: 'go' },
          { role: 'assistant', content: parts('First,', 'second.') },
          { role: 'tool', tool_call_id: 't1', content: parts('a', 'b') },
        ],
      },
      'claude-x',
      100,
    );
    expect(request.system).toEqual(parts('Rules.', 'More rules.'));
    expect(request.messages).toEqual([
      { role: 'user', content: parts('go') },
      { role: 'assistant', content: parts('First,', 'second.') },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 't1', content: parts('a', 'b') },
        ],
      },
    ]);
  });

  it.each([
    ['refusal', 'content_filter'],
    ['model_context_window_exceeded', 'length'],
    ['pause_turn', 'stop'],
  ])(
    "reports Anthropic's %s as chat's %s, JSON and streamed",
    (stopReason, finish) => {
      const answer = fromAnthropicResponse(
        {
          id: 'm',
          model: 'c',
          content: [{ type: 'text', text: 'No.' }],
          stop_reason: stopReason,
          usage: { input_tokens: 5, output_tokens: 2 },
        },
        0,
      );
      expect(answer.choices[0].finish_reason).toBe(finish);
      const translator = new AnthropicStreamTranslator(false, 0);
      const out = translator.push(
        `data: {"type":"message_start","message":{"id":"m","model":"c","usage":{"input_tokens":5}}}\n\n` +
          `data: {"type":"message_delta","delta":{"stop_reason":"${stopReason}"},"usage":{"output_tokens":2}}\n\n`,
      );
      expect(out).toContain(`"finish_reason":"${finish}"`);
    },
  );

  it.each([
    [undefined, { type: 'auto', disable_parallel_tool_use: true }],
    ['auto', { type: 'auto', disable_parallel_tool_use: true }],
    ['required', { type: 'any', disable_parallel_tool_use: true }],
    [
      { type: 'function', function: { name: 'weather' } },
      { type: 'tool', name: 'weather', disable_parallel_tool_use: true },
    ],
    // Anthropic's `none` takes no such flag: no tool is called at all.
    ['none', { type: 'none' }],
  ])(
    'turns parallel tool calls off with tool_choice %j as Anthropic does',
    (choice, anthropicChoice) => {
      const request = toAnthropicRequest(
        {
          messages: [{ role: 'user', content: 'weather?' }],
          tools: [{ type: 'function', function: { name: 'weather' } }],
          tool_choice: choice,
          parallel_tool_calls: false,
        },
        'claude-x',
        100,
      );
      expect(request.tool_choice).toEqual(anthropicChoice);
    },
  );

  it.each([
    ['1e308', { input_tokens: 1e308, output_tokens: 1e308 }],
    ['a count in a string', { input_tokens: '3', output_tokens: 2 }],
    ['a fractional count', { input_tokens: 3.5, output_tokens: 2 }],
    ['no output count', { input_tokens: 3 }],
  ])(
    'writes no usage that is not counts (%s): the tokenizer charges it, as with none',
    (_what, usage) => {
      const answer = fromAnthropicResponse(
        {
          id: 'msg_1',
          model: 'claude-x',
          content: [{ type: 'text', text: 'hi' }],
          stop_reason: 'end_turn',
          usage,
        },
        0,
      );
      expect(answer).not.toHaveProperty('usage');
      expect(JSON.stringify(answer)).not.toContain('_tokens');
    },
  );
});
