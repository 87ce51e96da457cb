import { choicesText, messageText } from './generatedText';

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
});
