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
