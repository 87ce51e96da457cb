import { messagesField, readMessagesRequest } from './messagesRequest';

describe('readMessagesRequest', () => {
  it('translates system, text, images, tool use and tool results into chat order', () => {
    const chat = readMessagesRequest({
      model: 'claude-x',
      max_tokens: 64,
      system: [{ type: 'text', text: 'Be brief.' }],
      stream: true,
      temperature: 0.5,
      stop_sequences: ['END'],
      metadata: { user_id: 'u-1' },
      tools: [
        {
          name: 'lookup',
          description: 'd',
          input_schema: { type: 'object' },
        },
      ],
      tool_choice: {
        type: 'tool',
        name: 'lookup',
        disable_parallel_tool_use: true,
      },
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'look ' },
            {
              type: 'image',
              source: { type: 'base64', media_type: 'image/png', data: 'AAA' },
            },
          ],
        },
        {
          role: 'assistant',
          content: [
            { type: 'thinking', thinking: 'hmm', signature: 's' },
            {
              type: 'tool_use',
              id: 'toolu_1',
              name: 'lookup',
              input: { q: 'é' },
            },
          ],
        },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'and now?' },
            {
              type: 'tool_result',
              tool_use_id: 'toolu_1',
              content: [{ type: 'text', text: 'found' }],
            },
          ],
        },
      ],
    });
    expect(chat).toEqual({
      model: 'claude-x',
      max_completion_tokens: 64,
      stream: true,
      stream_options: { include_usage: true },
      temperature: 0.5,
      stop: ['END'],
      user: 'u-1',
      parallel_tool_calls: false,
      tools: [
        {
          type: 'function',
          function: {
            name: 'lookup',
            description: 'd',
            parameters: { type: 'object' },
          },
        },
      ],
      tool_choice: { type: 'function', function: { name: 'lookup' } },
      messages: [
        { role: 'system', content: 'Be brief.' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'look ' },
            {
              type: 'image_url',
              image_url: { url: 'data:image/png;base64,AAA' },
            },
          ],
        },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            {
              id: 'toolu_1',
              type: 'function',
              function: { name: 'lookup', arguments: '{"q":"é"}' },
            },
          ],
        },
        // The tool result answers the call, so it goes before the user's new text.
        { role: 'tool', tool_call_id: 'toolu_1', content: 'found' },
        { role: 'user', content: 'and now?' },
      ],
    });
  });

  it("names chat's fields as Messages fields", () => {
    expect(messagesField('tools.3.function.parameters')).toBe(
      'tools.3.input_schema',
    );
    expect(messagesField('tools.0.function.name')).toBe('tools.0.name');
    expect(messagesField('stop.2')).toBe('stop_sequences.2');
    expect(messagesField('max_completion_tokens')).toBe('max_tokens');
  });

  it.each([
    ['alone', [{ role: 'user', content: [] }]],
    [
      'after an answered turn',
      [
        { role: 'user', content: 'hi' },
        { role: 'assistant', content: 'hello' },
        { role: 'user', content: [] },
      ],
    ],
  ])(
    'refuses a user turn with no content blocks (%s), naming it',
    (_case, messages) => {
      let refusal: unknown;
      try {
        readMessagesRequest({
          model: 'claude-x',
          max_tokens: 16,
          system: 'Be brief.',
          messages,
        });
      } catch (error) {
        refusal = error;
      }
      expect(refusal).toMatchObject({
        status: 400,
        options: { param: `messages.${messages.length - 1}.content` },
      });
    },
  );

  it('keeps the boundaries between text blocks, in every place they go', () => {
    const text = (...pieces: string[]) =>
      pieces.map(piece => ({ type: 'text', text: piece }));
    const chat = readMessagesRequest({
      model: 'claude-x',
      max_tokens: 64,
      system: text('Rules.', 'More rules.'),
      messages: [
        { role: 'user', content: text('<reminder>ctx</reminder>', 'Fix it.') },
        {
          role: 'assistant',
          content: [
            ...text('First,', 'second.'),
            { type: 'tool_use', id: 't1', name: 'lint', input: {} },
          ],
        },
        {
          role: 'user',
          content: [
            {
              type: 'tool_result',
              tool_use_id: 't1',
              content: text('line one', 'line two'),
            },
            { type: 'text', text: 'one block stays a string' },
          ],
        },
      ],
    });
    const parts = (...pieces: string[]) =>
      pieces.map(piece => ({ type: 'text', text: piece }));
    expect(chat.messages).toEqual([
      { role: 'system', content: parts('Rules.', 'More rules.') },
      { role: 'user', content: parts('<reminder>ctx</reminder>', 'Fix it.') },
      {
        role: 'assistant',
        content: parts('First,', 'second.'),
        tool_calls: [
          {
            id: 't1',
            type: 'function',
            function: { name: 'lint', arguments: '{}' },
          },
        ],
      },
      {
        role: 'tool',
        tool_call_id: 't1',
        content: parts('line one', 'line two'),
      },
      { role: 'user', content: 'one block stays a string' },
    ]);
  });

  it('takes every Messages API field it serves', () => {
    expect(
      readMessagesRequest({
        model: 'claude-x',
        max_tokens: 2048,
        messages: [{ role: 'user', content: 'hi' }],
        system: 'Be brief.',
        metadata: { user_id: 'u1' },
        stop_sequences: ['END'],
        stream: false,
        temperature: 0.5,
        top_p: 0.9,
        top_k: 40,
        tools: [{ name: 'f', input_schema: { type: 'object' } }],
        tool_choice: { type: 'auto' },
        thinking: { type: 'enabled', budget_tokens: 1024 },
        service_tier: 'standard_only',
      }),
    ).toMatchObject({ model: 'claude-x', max_completion_tokens: 2048 });
  });

  it('refuses a metadata field other than user_id, naming it', () => {
    expect(() =>
      readMessagesRequest({
        model: 'claude-x',
        max_tokens: 16,
        messages: [{ role: 'user', content: 'hi' }],
        metadata: { user_id: 'u-1', team: 'checkout' },
      }),
    ).toThrow(expect.objectContaining({ options: { param: 'metadata.team' } }));
  });

  it.each([
    ['mcp_servers', [{ type: 'url', url: 'https://x', name: 'x' }]],
    ['container', 'container_1'],
  ])(
    'refuses %s by name, as server-side tools it does not run',
    (field, value) => {
      expect(() =>
        readMessagesRequest({
          model: 'claude-x',
          max_tokens: 16,
          messages: [{ role: 'user', content: 'hi' }],
          [field]: value,
        }),
      ).toThrow(
        `${field} is not supported: this gateway serves client tools only`,
      );
    },
  );

  // Anthropic joins consecutive turns of a role, so a client may send each result in a turn of
  // its own; in chat they are the tool messages right after the calls all the same.
  it('takes the answers to parallel tool calls in consecutive user turns', () => {
    const result = (id: string) => ({
      role: 'user',
      content: [{ type: 'tool_result', tool_use_id: id, content: 'sunny' }],
    });
    const chat = readMessagesRequest({
      model: 'claude-x',
      max_tokens: 64,
      messages: [
        { role: 'user', content: 'Weather in Oslo and Lima?' },
        {
          role: 'assistant',
          content: ['Oslo', 'Lima'].map(city => ({
            type: 'tool_use',
            id: city,
            name: 'weather',
            input: { city },
          })),
        },
        result('Lima'),
        result('Oslo'),
      ],
    });
    // Said between the answers, it would stand between the calls and an answer in chat.
    expect(() =>
      readMessagesRequest({
        model: 'claude-x',
        max_tokens: 64,
        messages: [
          { role: 'user', content: 'Weather in Oslo?' },
          {
            role: 'assistant',
            content: [
              { type: 'tool_use', id: 'Oslo', name: 'weather', input: {} },
            ],
          },
          { role: 'user', content: 'Quick, please.' },
          result('Oslo'),
        ],
      }),
    ).toThrow(
      expect.objectContaining({ options: { param: 'messages.1.content.0' } }),
    );
    expect(
      (chat.messages as Array<Record<string, unknown>>).map(m => [
        m.role,
        m.tool_call_id,
      ]),
    ).toEqual([
      ['user', undefined],
      ['assistant', undefined],
      ['tool', 'Lima'],
      ['tool', 'Oslo'],
    ]);
  });

  it('joins consecutive assistant turns, as Anthropic does, so their calls come right before the answers', () => {
    const use = (id: string) => ({
      type: 'tool_use',
      id,
      name: 'weather',
      input: { city: id },
    });
    const messagesOf = (messages: unknown[]) =>
      readMessagesRequest({ model: 'claude-x', max_tokens: 64, messages })
        .messages as Array<Record<string, unknown>>;
    const ask = { role: 'user', content: 'Weather in Oslo and Lima?' };
    expect(
      messagesOf([
        ask,
        { role: 'assistant', content: [use('Oslo')] },
        { role: 'assistant', content: 'and Lima, ' },
        { role: 'assistant', content: [use('Lima')] },
        {
          role: 'user',
          content: ['Lima', 'Oslo'].map(id => ({
            type: 'tool_result',
            tool_use_id: id,
            content: 'sunny',
          })),
        },
      ]),
    ).toEqual([
      ask,
      {
        role: 'assistant',
        content: 'and Lima, ',
        tool_calls: ['Oslo', 'Lima'].map(id => ({
          id,
          type: 'function',
          function: {
            name: 'weather',
            arguments: JSON.stringify({ city: id }),
          },
        })),
      },
      { role: 'tool', tool_call_id: 'Lima', content: 'sunny' },
      { role: 'tool', tool_call_id: 'Oslo', content: 'sunny' },
    ]);
    // The joined turn's calls are still each answered, and named by their own block.
    expect(() =>
      messagesOf([
        ask,
        { role: 'assistant', content: [use('Oslo')] },
        { role: 'assistant', content: [use('Lima')] },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 'Oslo', content: 'sunny' },
          ],
        },
      ]),
    ).toThrow(
      expect.objectContaining({ options: { param: 'messages.2.content.0' } }),
    );
  });
});
