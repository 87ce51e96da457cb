import { genAiInputMessages } from './genAiMessages';

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
