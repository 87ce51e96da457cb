import { foldChoices, type GeneratedChoice } from '../providers/generatedText';
import { genAiInputMessages, genAiOutputMessages } from './genAiMessages';

describe('genAiInputMessages', () => {
  it('writes chat messages as the GenAI conventions do: roles with typed parts', () => {
    expect(
      genAiInputMessages({
        messages: [
          { role: 'system', content: 'Be brief.' },
          {
            role: 'user',
            name: 'zoë',
            content: [
              { type: 'text', text: 'Wetter in Zürich?' },
              { type: 'image_url', image_url: { url: 'https://x.test/a.png' } },
              {
                type: 'input_audio',
                input_audio: { data: 'UklGRg==', format: 'wav' },
              },
            ],
          },
          {
            role: 'assistant',
            content: null,
            tool_calls: [
              {
                id: 'call_1',
                type: 'function',
                function: { name: 'weather', arguments: '{"city":"Zürich"}' },
              },
              {
                id: 'call_2',
                type: 'function',
                function: { name: 'weather', arguments: 'not json' },
              },
            ],
          },
          { role: 'tool', tool_call_id: 'call_1', content: 'sonnig' },
        ],
      }),
    ).toEqual([
      { role: 'system', parts: [{ type: 'text', content: 'Be brief.' }] },
      {
        role: 'user',
        name: 'zoë',
        parts: [
          { type: 'text', content: 'Wetter in Zürich?' },
          { type: 'uri', modality: 'image', uri: 'https://x.test/a.png' },
          {
            type: 'blob',
            modality: 'audio',
            mime_type: 'audio/wav',
            content: 'UklGRg==',
          },
        ],
      },
      {
        role: 'assistant',
        parts: [
          {
            type: 'tool_call',
            id: 'call_1',
            name: 'weather',
            arguments: { city: 'Zürich' },
          },
          {
            type: 'tool_call',
            id: 'call_2',
            name: 'weather',
            arguments: 'not json',
          },
        ],
      },
      {
        role: 'tool',
        parts: [
          { type: 'tool_call_response', id: 'call_1', response: 'sonnig' },
        ],
      },
    ]);
  });

  it('leaves an embeddings input as it came', () => {
    expect(genAiInputMessages({ input: ['a', 'b'] })).toEqual(['a', 'b']);
  });
});

describe('genAiOutputMessages', () => {
  const expected = [
    {
      role: 'assistant',
      parts: [
        { type: 'text', content: 'Checking.' },
        {
          type: 'tool_call',
          id: 'call_1',
          name: 'weather',
          arguments: { city: 'Zürich' },
        },
        { type: 'tool_call', id: 'call_2', name: 'weather', arguments: '{"ci' },
      ],
      finish_reason: 'tool_call',
    },
    {
      role: 'assistant',
      parts: [{ type: 'text', content: 'second' }],
      finish_reason: 'length',
    },
  ];

  it("writes a JSON answer's choices as the conventions' output messages: text, tool calls, finish reason", () => {
    const choices = foldChoices(
      [],
      [
        {
          index: 0,
          message: {
            content: 'Checking.',
            tool_calls: [
              {
                id: 'call_1',
                function: { name: 'weather', arguments: '{"city":"Zürich"}' },
              },
              {
                id: 'call_2',
                function: { name: 'weather', arguments: '{"ci' },
              },
            ],
          },
          finish_reason: 'tool_calls',
        },
        { index: 1, message: { content: 'second' }, finish_reason: 'length' },
      ],
      'message',
    );
    expect(genAiOutputMessages(choices)).toEqual(expected);
  });

  it('writes the same from stream deltas, choices and tool calls interleaved', () => {
    const choices: GeneratedChoice[] = [];
    const chunk = (index: number, delta: object, finish?: string) => [
      { index, delta, ...(finish ? { finish_reason: finish } : {}) },
    ];
    for (const step of [
      chunk(0, { content: 'Check' }),
      chunk(1, { content: 'sec' }),
      chunk(0, { content: 'ing.' }),
      chunk(0, {
        tool_calls: [
          {
            index: 1,
            id: 'call_2',
            function: { name: 'weather', arguments: '' },
          },
        ],
      }),
      chunk(0, {
        tool_calls: [
          {
            index: 0,
            id: 'call_1',
            function: { name: 'weather', arguments: '{"city":' },
          },
        ],
      }),
      chunk(1, { content: 'ond' }, 'length'),
      chunk(0, { tool_calls: [{ index: 1, function: { arguments: '{"ci' } }] }),
      chunk(0, {
        tool_calls: [{ index: 0, function: { arguments: '"Zürich"}' } }],
      }),
      chunk(0, {}, 'tool_calls'),
    ]) {
      foldChoices(choices, step, 'delta');
    }
    expect(genAiOutputMessages(choices)).toEqual(expected);
  });

  it('says a choice that never finished ended in error', () => {
    expect(
      genAiOutputMessages(
        foldChoices([], [{ index: 0, delta: { content: 'cut' } }], 'delta'),
      ),
    ).toEqual([
      {
        role: 'assistant',
        parts: [{ type: 'text', content: 'cut' }],
        finish_reason: 'error',
      },
    ]);
  });
});

describe('custom tool calls', () => {
  it('records their free-form input as the text it is, never parsed as JSON, in and out', () => {
    const call = {
      id: 'call_7',
      type: 'custom',
      custom: { name: 'calculator', input: '42' },
    };
    expect(
      genAiInputMessages({
        messages: [{ role: 'assistant', content: null, tool_calls: [call] }],
      }),
    ).toEqual([
      {
        role: 'assistant',
        parts: [
          {
            type: 'tool_call',
            id: 'call_7',
            name: 'calculator',
            arguments: '42',
          },
        ],
      },
    ]);
    const choices = foldChoices(
      [],
      [
        {
          index: 0,
          message: { content: null, tool_calls: [call] },
          finish_reason: 'tool_calls',
        },
      ],
      'message',
    );
    expect(genAiOutputMessages(choices)).toEqual([
      {
        role: 'assistant',
        parts: [
          {
            type: 'tool_call',
            id: 'call_7',
            name: 'calculator',
            arguments: '42',
          },
        ],
        finish_reason: 'tool_call',
      },
    ]);
  });
});
