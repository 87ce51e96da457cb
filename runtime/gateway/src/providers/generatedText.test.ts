import { choicesText, foldChoices, messageText } from './generatedText';

describe('generated text', () => {
  it('holds every choice, its refusal and its tool calls, a line apart', () => {
    const choice = (content: string | null) => ({
      message: {
        role: 'assistant',
        content,
        tool_calls: [
          { function: { name: 'forecast', arguments: '{"city":"Zürich"}' } },
        ],
      },
    });
    expect(choicesText([choice('Sunny.'), choice(null)], 'message')).toBe(
      'Sunny.\nforecast{"city":"Zürich"}\nforecast{"city":"Zürich"}',
    );
    expect(messageText({ refusal: 'No.' })).toBe('No.');
    expect(
      messageText({ function_call: { name: 'lookup', arguments: '{}' } }),
    ).toBe('lookup{}');
    // One choice of plain text is that text, as a trace records it.
    expect(choicesText([{ message: { content: 'Hello' } }], 'message')).toBe(
      'Hello',
    );
    expect(choicesText(undefined, 'delta')).toBe('');
  });

  it("holds a custom tool call's name and input, in answers and in streamed pieces", () => {
    const call = {
      id: 'call_1',
      type: 'custom',
      custom: { name: 'run_sql', input: 'SELECT 1' },
    };
    expect(messageText({ content: null, tool_calls: [call] })).toBe(
      'run_sqlSELECT 1',
    );
    const deltas = [
      {
        delta: {
          tool_calls: [
            { index: 0, ...call, custom: { name: 'run_sql', input: '' } },
          ],
        },
      },
      { delta: { tool_calls: [{ index: 0, custom: { input: 'SELECT ' } }] } },
      { delta: { tool_calls: [{ index: 0, custom: { input: '1' } }] } },
    ];
    expect(deltas.map(delta => choicesText([delta], 'delta')).join('')).toBe(
      'run_sqlSELECT 1',
    );
    const folded = deltas.reduce<ReturnType<typeof foldChoices>>(
      (into, delta) => foldChoices(into, [delta], 'delta'),
      [],
    );
    expect(folded[0].toolCalls).toEqual([
      { id: 'call_1', name: 'run_sql', arguments: 'SELECT 1', custom: true },
    ]);
  });

  it('holds the text and refusal parts of content given as a list, in answers and deltas', () => {
    const content = [
      { type: 'text', text: 'alpha ' },
      { type: 'text', text: 'beta' },
      { type: 'refusal', refusal: 'no' },
    ];
    expect(choicesText([{ message: { content } }], 'message')).toBe(
      'alpha beta\nno',
    );
    expect(choicesText([{ delta: { content } }], 'delta')).toBe(
      'alpha beta\nno',
    );
    expect(foldChoices([], [{ delta: { content } }], 'delta')).toEqual([
      { text: 'alpha beta', refusal: 'no', toolCalls: [] },
    ]);
  });
});
