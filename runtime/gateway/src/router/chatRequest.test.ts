import { summarizeChatRequest } from './chatRequest';

describe('summarizeChatRequest', () => {
  const ask = { role: 'user', content: 'what is the weather in Lyon?' };
  const base = { model: 'gpt-4o', messages: [ask] };

  it('requires tools for tool definitions in any form, and for earlier turns of tool calls', () => {
    expect(summarizeChatRequest(base).requiredCapabilities).toEqual([]);
    const call = {
      id: 'c1',
      type: 'function',
      function: { name: 'get_weather', arguments: '{"city":"Lyon"}' },
    };
    for (const body of [
      {
        ...base,
        tools: [
          {
            type: 'function',
            function: { name: 'get_weather', parameters: {} },
          },
        ],
      },
      // The deprecated form, which OpenAI still takes.
      { ...base, functions: [{ name: 'get_weather', parameters: {} }] },
      {
        ...base,
        messages: [
          ask,
          { role: 'assistant', content: null, tool_calls: [call] },
          { role: 'tool', tool_call_id: 'c1', content: 'sunny' },
        ],
      },
      {
        ...base,
        messages: [
          ask,
          { role: 'function', name: 'get_weather', content: 'sunny' },
        ],
      },
      {
        ...base,
        messages: [
          ask,
          {
            role: 'assistant',
            content: null,
            tool_calls: [
              {
                id: 'c2',
                type: 'custom',
                custom: { name: 'grep', input: 'x' },
              },
            ],
          },
        ],
      },
    ]) {
      expect(summarizeChatRequest(body).requiredCapabilities).toEqual([
        'tools',
      ]);
    }
  });
});
