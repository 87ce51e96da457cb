import { choicesProblem } from './choiceShape';

describe('choicesProblem', () => {
  const message = (fields: object) => [
    {
      index: 0,
      message: { role: 'assistant', ...fields },
      finish_reason: 'stop',
    },
  ];
  const delta = (fields: object) => [
    { index: 0, delta: fields, finish_reason: null },
  ];

  it.each([
    ['text', message({ content: 'hi' })],
    [
      'null content with a tool call',
      message({
        content: null,
        tool_calls: [
          {
            id: 'c1',
            type: 'function',
            function: { name: 'f', arguments: '{}' },
          },
        ],
      }),
    ],
    [
      'text and refusal parts',
      message({
        content: [
          { type: 'text', text: 'hi' },
          { type: 'refusal', refusal: 'no' },
        ],
      }),
    ],
    [
      'a custom tool call',
      message({
        content: null,
        tool_calls: [
          {
            id: 'c1',
            type: 'custom',
            custom: { name: 'run_sql', input: 'SELECT 1' },
          },
        ],
      }),
    ],
    [
      "a part of a type of its own (a server's reasoning)",
      message({ content: [{ type: 'thinking', thinking: 'hmm' }] }),
    ],
  ])('takes a message of %s', (_what, choices) => {
    expect(choicesProblem(choices, 'message')).toBeUndefined();
  });

  it('takes a choice whose message a content filter withheld (Azure OpenAI)', () => {
    const filtered = [
      ...message({ content: 'hi' }),
      {
        index: 1,
        finish_reason: 'content_filter',
        content_filter_results: { hate: { filtered: true } },
      },
    ];
    expect(choicesProblem(filtered, 'message')).toBeUndefined();
  });

  it.each([
    ['no message', [{ index: 0, finish_reason: 'stop' }]],
    ['a null message', [{ index: 0, message: null, finish_reason: 'stop' }]],
    ['content of numbers', message({ content: [1, 2] })],
    ['a text part without text', message({ content: [{ type: 'text' }] })],
    [
      'a refusal part whose refusal is a number',
      message({ content: [{ type: 'refusal', refusal: 5 }] }),
    ],
    ['a part without a type', message({ content: [{ text: 'hi' }] })],
    [
      "a tool call's id that is an object",
      message({
        content: null,
        tool_calls: [
          {
            id: { toString: 1 },
            type: 'function',
            function: { name: 'f', arguments: '{}' },
          },
        ],
      }),
    ],
    [
      "a custom tool call's input that is not text",
      message({
        content: null,
        tool_calls: [
          {
            id: 'c1',
            type: 'custom',
            custom: { name: 'run_sql', input: { sql: 'SELECT 1' } },
          },
        ],
      }),
    ],
  ])('refuses a completion with %s', (_what, choices) => {
    expect(choicesProblem(choices, 'message')).toEqual(expect.any(String));
  });

  it("takes a chunk's choice with no delta, and a tool call's later deltas without an id", () => {
    expect(
      choicesProblem([{ index: 0, finish_reason: 'stop' }], 'delta'),
    ).toBeUndefined();
    expect(
      choicesProblem(
        delta({ tool_calls: [{ index: 0, function: { arguments: '{"a"' } }] }),
        'delta',
      ),
    ).toBeUndefined();
  });

  it.each([
    ['content of numbers', delta({ content: [1, 2] })],
    [
      "a custom tool call's name that is a number",
      delta({ tool_calls: [{ index: 0, custom: { name: 7 } }] }),
    ],
    [
      "a tool call's id that is an object",
      delta({
        tool_calls: [
          { index: 0, id: { toString: 1 }, function: { name: 'f' } },
        ],
      }),
    ],
  ])('refuses a chunk with %s', (_what, choices) => {
    expect(choicesProblem(choices, 'delta')).toEqual(expect.any(String));
  });
});
