import { readResponsesRequest, responsesField } from './responsesRequest';

describe('readResponsesRequest', () => {
  it('translates instructions, items, function calls and their outputs into chat messages', () => {
    const { chat, echo } = readResponsesRequest({
      model: 'gpt-x',
      instructions: 'Be brief.',
      max_output_tokens: 50,
      temperature: 0.2,
      text: {
        format: {
          type: 'json_schema',
          name: 'answer',
          schema: { type: 'object' },
        },
      },
      tools: [
        { type: 'function', name: 'lookup', parameters: { type: 'object' } },
      ],
      tool_choice: { type: 'function', name: 'lookup' },
      input: [
        {
          role: 'user',
          content: [
            { type: 'input_text', text: 'what is ' },
            {
              type: 'input_image',
              image_url: 'https://example.test/a.png',
              detail: 'low',
            },
          ],
        },
        {
          type: 'message',
          role: 'assistant',
          content: [{ type: 'output_text', text: 'let me look' }],
        },
        {
          type: 'function_call',
          call_id: 'call_1',
          name: 'lookup',
          arguments: '{"q":1}',
        },
        {
          type: 'function_call',
          call_id: 'call_2',
          name: 'lookup',
          arguments: '{"q":2}',
        },
        { type: 'reasoning', id: 'rs_1', summary: [] },
        { type: 'function_call_output', call_id: 'call_1', output: 'one' },
        {
          type: 'function_call_output',
          call_id: 'call_2',
          output: [{ type: 'input_text', text: 'two' }],
        },
      ],
    });
    expect(chat).toEqual({
      model: 'gpt-x',
      max_completion_tokens: 50,
      temperature: 0.2,
      response_format: {
        type: 'json_schema',
        json_schema: { name: 'answer', schema: { type: 'object' } },
      },
      tools: [
        {
          type: 'function',
          // Without `strict`, a Responses function tool is strict: its schema normalized.
          function: {
            name: 'lookup',
            parameters: {
              type: 'object',
              properties: {},
              required: [],
              additionalProperties: false,
            },
            strict: true,
          },
        },
      ],
      tool_choice: { type: 'function', function: { name: 'lookup' } },
      messages: [
        { role: 'system', content: 'Be brief.' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'what is ' },
            {
              type: 'image_url',
              image_url: { url: 'https://example.test/a.png', detail: 'low' },
            },
          ],
        },
        {
          role: 'assistant',
          content: 'let me look',
          tool_calls: [
            {
              id: 'call_1',
              type: 'function',
              function: { name: 'lookup', arguments: '{"q":1}' },
            },
            {
              id: 'call_2',
              type: 'function',
              function: { name: 'lookup', arguments: '{"q":2}' },
            },
          ],
        },
        { role: 'tool', tool_call_id: 'call_1', content: 'one' },
        { role: 'tool', tool_call_id: 'call_2', content: 'two' },
      ],
    });
    expect(echo).toMatchObject({
      instructions: 'Be brief.',
      max_output_tokens: 50,
    });
  });

  it('accepts store false and refuses what needs stored responses', () => {
    expect(() =>
      readResponsesRequest({ model: 'm', input: 'x', store: false }),
    ).not.toThrow();
    expect(() =>
      readResponsesRequest({
        model: 'm',
        input: 'x',
        previous_response_id: 'resp_1',
      }),
    ).toThrow(/previous_response_id is not supported/);
  });

  it("translates an allowed_tools choice to chat's, and names a bad one in Responses terms", () => {
    const body = (choice: object) => ({
      model: 'm',
      input: 'x',
      tools: [
        { type: 'function', name: 'lookup' },
        { type: 'function', name: 'clock' },
      ],
      tool_choice: { type: 'allowed_tools', ...choice },
    });
    expect(
      readResponsesRequest(
        body({
          mode: 'required',
          tools: [{ type: 'function', name: 'clock' }],
        }),
      ).chat.tool_choice,
    ).toEqual({
      type: 'allowed_tools',
      allowed_tools: {
        mode: 'required',
        tools: [{ type: 'function', function: { name: 'clock' } }],
      },
    });
    const refusal = (choice: object) => {
      try {
        readResponsesRequest(body(choice));
      } catch (error) {
        return (error as { options?: { param?: string } }).options?.param;
      }
      return undefined;
    };
    expect(
      refusal({ mode: 'required', tools: [{ type: 'function', name: 'map' }] }),
    ).toBe('tool_choice.tools.0.name');
    expect(
      refusal({ mode: 'often', tools: [{ type: 'function', name: 'clock' }] }),
    ).toBe('tool_choice.mode');
    expect(refusal({ mode: 'auto', tools: [] })).toBe('tool_choice.tools');
  });

  it('takes the options it can honour, passing on those chat has', () => {
    const { chat } = readResponsesRequest({
      model: 'm',
      input: 'x',
      stream: true,
      stream_options: { include_obfuscation: false },
      include: ['reasoning.encrypted_content', 'web_search_call.results'],
      truncation: 'disabled',
      max_tool_calls: 3,
      top_logprobs: 0,
      service_tier: 'flex',
      prompt_cache_key: 'tenant-a',
      prompt_cache_retention: '24h',
      reasoning: { effort: 'low', summary: 'auto' },
      text: { verbosity: 'low' },
    });
    expect(chat).toMatchObject({
      service_tier: 'flex',
      prompt_cache_key: 'tenant-a',
      prompt_cache_retention: '24h',
      reasoning_effort: 'low',
      verbosity: 'low',
    });
    for (const dropped of ['include', 'truncation', 'max_tool_calls']) {
      expect(chat).not.toHaveProperty(dropped);
    }
  });

  it("names chat's fields as Responses fields", () => {
    expect(responsesField('tools.2.function.strict')).toBe('tools.2.strict');
    expect(responsesField('response_format.json_schema.name')).toBe(
      'text.format.name',
    );
    expect(responsesField('max_completion_tokens')).toBe('max_output_tokens');
    expect(responsesField('verbosity')).toBe('text.verbosity');
  });

  it("names a translated message's fields by the input item they came from", () => {
    const { sources } = readResponsesRequest({
      model: 'm',
      instructions: 'Be brief.',
      input: [
        { role: 'user', content: 'Weather in Paris and Rome?' },
        { type: 'function_call', call_id: 'a', name: 'w', arguments: '{}' },
        { type: 'function_call', call_id: 'b', name: 'w', arguments: '{}' },
        { type: 'function_call_output', call_id: 'a', output: 'sun' },
        {
          role: 'user',
          content: [
            { type: 'input_text', text: 'And this?' },
            { type: 'input_image', image_url: 'https://x/y.png' },
          ],
        },
      ],
    });
    const named = (param: string) => responsesField(param, sources);
    expect(named('messages.0.content')).toBe('instructions');
    expect(named('messages.1.content')).toBe('input.0.content');
    expect(named('messages.2.tool_calls.1.function.arguments')).toBe(
      'input.2.arguments',
    );
    expect(named('messages.2.tool_calls.0.id')).toBe('input.1.call_id');
    expect(named('messages.3.tool_call_id')).toBe('input.3.call_id');
    expect(named('messages.4.content.1.image_url.detail')).toBe(
      'input.4.content.1.detail',
    );
    expect(named('messages.4.content.1.image_url.url')).toBe(
      'input.4.content.1.image_url',
    );
    expect(named('messages')).toBe('input');
  });

  it.each([
    [
      'a metadata value that is not a string',
      { metadata: { a: 5 } },
      'metadata.a',
    ],
    [
      '17 metadata pairs',
      {
        metadata: Object.fromEntries(
          Array.from({ length: 17 }, (_, i) => [`k${i}`, 'v']),
        ),
      },
      'metadata',
    ],
    [
      'a metadata value of 513 characters',
      { metadata: { k: 'v'.repeat(513) } },
      'metadata.k',
    ],
    [
      'a metadata key of 68 characters',
      { metadata: { ['ключ'.repeat(17)]: 'v' } },
      'metadata',
    ],
    [
      'reasoning items alone',
      { input: [{ type: 'reasoning', summary: [] }] },
      'input',
    ],
    [
      'a json_schema format without its schema',
      { text: { format: { type: 'json_schema', name: 'answer' } } },
      'text.format.schema',
    ],
    [
      'instructions and reasoning items alone',
      {
        instructions: 'Be brief.',
        input: [{ type: 'reasoning', summary: [] }],
      },
      'input',
    ],
  ])('refuses %s, naming the field', (_case, fields, param) => {
    let refusal: unknown;
    try {
      readResponsesRequest({ model: 'm', input: 'x', ...fields });
    } catch (error) {
      refusal = error;
    }
    expect(refusal).toMatchObject({ status: 400, options: { param } });
  });

  it('repeats the reasoning and text settings it was given, with the default format', () => {
    const { echo } = readResponsesRequest({
      model: 'm',
      input: 'x',
      reasoning: { effort: 'low' },
      text: { verbosity: 'low' },
    });
    expect(echo.reasoning).toEqual({ effort: 'low', summary: null });
    expect(echo.text).toEqual({
      format: { type: 'text' },
      verbosity: 'low',
    });
    const json = { type: 'json_schema', name: 'a', schema: { type: 'object' } };
    expect(
      readResponsesRequest({ model: 'm', input: 'x', text: { format: json } })
        .echo.text,
    ).toEqual({ format: json });
  });

  it('keeps the boundaries between text parts, in messages and tool outputs', () => {
    const { chat } = readResponsesRequest({
      model: 'gpt-x',
      input: [
        {
          role: 'user',
          content: [
            { type: 'input_text', text: 'First paragraph.' },
            { type: 'input_text', text: 'Second paragraph.' },
          ],
        },
        { type: 'function_call', call_id: 'c1', name: 'f', arguments: '{}' },
        {
          type: 'function_call_output',
          call_id: 'c1',
          output: [
            { type: 'input_text', text: 'a' },
            { type: 'input_text', text: 'b' },
          ],
        },
        { role: 'user', content: [{ type: 'input_text', text: 'one' }] },
      ],
    });
    expect(chat.messages).toEqual([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'First paragraph.' },
          { type: 'text', text: 'Second paragraph.' },
        ],
      },
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          {
            id: 'c1',
            type: 'function',
            function: { name: 'f', arguments: '{}' },
          },
        ],
      },
      {
        role: 'tool',
        tool_call_id: 'c1',
        content: [
          { type: 'text', text: 'a' },
          { type: 'text', text: 'b' },
        ],
      },
      { role: 'user', content: 'one' },
    ]);
  });

  it('sends a tool strict by default, as the Responses API takes it, and one that says strict false as it is', () => {
    const parameters = {
      type: 'object',
      properties: { city: { type: 'string' }, units: { type: 'string' } },
      required: ['city'],
    };
    const { chat, echo, addedPromptBytes } = readResponsesRequest({
      model: 'gpt-x',
      input: 'weather?',
      tools: [
        { type: 'function', name: 'weather', parameters },
        { type: 'function', name: 'loose', parameters, strict: false },
        {
          type: 'function',
          name: 'open',
          parameters: { type: 'object', additionalProperties: true },
        },
      ],
    });
    expect(chat.tools.map((tool: any) => tool.function)).toEqual([
      {
        name: 'weather',
        parameters: {
          ...parameters,
          required: ['city', 'units'],
          additionalProperties: false,
        },
        strict: true,
      },
      { name: 'loose', parameters, strict: false },
      // A schema strict mode cannot take goes as it is, not strict.
      {
        name: 'open',
        parameters: { type: 'object', additionalProperties: true },
      },
    ]);
    // The answer repeats each tool as it was applied.
    expect(echo.tools.map((tool: any) => tool.strict)).toEqual([
      true,
      false,
      false,
    ]);
    expect((echo.tools[0] as any).parameters.required).toEqual([
      'city',
      'units',
    ]);
    expect(addedPromptBytes).toBeGreaterThan(0);
  });
});
