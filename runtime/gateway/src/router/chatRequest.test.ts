import type { GatewayError } from '../http/GatewayError';
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
    ]) {
      expect(summarizeChatRequest(body).requiredCapabilities).toEqual([
        'tools',
      ]);
    }
    // A custom (free-form) tool, defined or called before: a protocol that has them too.
    for (const body of [
      {
        ...base,
        tools: [{ type: 'custom', custom: { name: 'grep' } }],
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
          { role: 'tool', tool_call_id: 'c2', content: 'x:1' },
        ],
      },
    ]) {
      expect(summarizeChatRequest(body).requiredCapabilities).toEqual([
        'tools',
        'custom-tools',
      ]);
    }
  });

  it('takes parallel tool calls answered in any order, and names the call left unanswered', () => {
    const call = (id: string) => ({
      id,
      type: 'function',
      function: { name: 'get_weather', arguments: '{}' },
    });
    const calls = {
      role: 'assistant',
      content: null,
      tool_calls: [call('a'), call('b')],
    };
    const answer = (id: string) => ({
      role: 'tool',
      tool_call_id: id,
      content: 'sunny',
    });
    /** The field the refusal names and its message, or undefined when it is taken. */
    const refusal = (messages: unknown[]) => {
      try {
        summarizeChatRequest({ model: 'gpt-4o', messages });
        return undefined;
      } catch (error) {
        return [
          (error as GatewayError).options.param,
          (error as Error).message,
        ];
      }
    };
    expect(refusal([ask, calls, answer('b'), answer('a')])).toBeUndefined();
    expect(refusal([ask, calls, answer('b'), ask])).toEqual([
      'messages.1.tool_calls.0',
      'messages.1.tool_calls.0 "a" has no answer right after its assistant turn',
    ]);
    expect(refusal([ask, calls])).toEqual([
      'messages.1.tool_calls.0',
      'messages.1.tool_calls.0 "a" has no answer right after its assistant turn (nor 1 more of its calls)',
    ]);
    // One answer each: a second for the same call is not an answer to anything.
    expect(refusal([ask, calls, answer('a'), answer('a')])?.[0]).toBe(
      'messages.3.tool_call_id',
    );
  });
});
