import { readMessagesRequest } from './messagesRequest';

const cached = { cache_control: { type: 'ephemeral' } };

/**
 * A Messages body with a breakpoint at each place `places` names (`tool`, `system`, `text`,
 * `use`, `result`, `result text`), merged with `extra`.
 */
function body(places: string[], extra: Record<string, unknown> = {}) {
  const at = (place: string) => (places.includes(place) ? cached : {});
  return {
    model: 'claude-x',
    max_tokens: 16,
    tools: [{ name: 'f', input_schema: { type: 'object' }, ...at('tool') }],
    system: [{ type: 'text', text: 'be brief', ...at('system') }],
    messages: [
      { role: 'user', content: [{ type: 'text', text: 'x', ...at('text') }] },
      {
        role: 'assistant',
        content: [
          { type: 'tool_use', id: 't', name: 'f', input: {}, ...at('use') },
        ],
      },
      {
        role: 'user',
        content: [
          {
            type: 'tool_result',
            tool_use_id: 't',
            content: [{ type: 'text', text: 'ok', ...at('result text') }],
            ...at('result'),
          },
        ],
      },
    ],
    ...extra,
  };
}

/** The field a refusal of `request` names. */
function refused(request: Record<string, unknown>): unknown {
  try {
    readMessagesRequest(request);
  } catch (error) {
    return (error as { options?: { param?: string } }).options?.param;
  }
  return undefined;
}

describe('cache_control on /v1/messages, as Anthropic takes it', () => {
  it('takes four breakpoints in a request, over tools, system and messages', () => {
    expect(refused(body(['tool', 'system', 'text', 'use']))).toBeUndefined();
    expect(refused(body(['system', 'text', 'result text', 'result']))).toBe(
      undefined,
    );
  });

  it('refuses a fifth breakpoint, naming it (tools, system, then messages)', () => {
    expect(refused(body(['tool', 'system', 'text', 'use', 'result']))).toBe(
      'messages.2.content.0.cache_control',
    );
    expect(
      refused(body(['tool', 'system', 'text', 'use', 'result text'])),
    ).toBe('messages.2.content.0.content.0.cache_control');
  });

  it('takes a top-level cache_control (automatic caching), checked and counted as a breakpoint', () => {
    expect(refused(body(['system'], cached))).toBeUndefined();
    expect(
      refused(
        body(['tool', 'system', 'text'], {
          cache_control: { type: 'ephemeral', ttl: '1h' },
        }),
      ),
    ).toBeUndefined();
    expect(refused(body(['tool', 'system', 'text', 'use'], cached))).toBe(
      'messages.1.content.0.cache_control',
    );
    expect(refused(body([], { cache_control: { type: 'auto' } }))).toBe(
      'cache_control.type',
    );
  });

  it.each([null, undefined])('counts a ttl of %s as absent', ttl => {
    expect(
      refused(body([], { cache_control: { type: 'ephemeral', ttl } })),
    ).toBeUndefined();
  });

  it.each(['thinking', 'redacted_thinking'])(
    'refuses it on a %s block, which Anthropic takes back unchanged',
    type => {
      const thinking =
        type === 'thinking'
          ? { type, thinking: 'hmm', signature: 's' }
          : { type, data: 'x' };
      expect(
        refused({
          model: 'claude-x',
          max_tokens: 16,
          messages: [
            { role: 'user', content: 'hi' },
            { role: 'assistant', content: [{ ...thinking, ...cached }] },
          ],
        }),
      ).toBe('messages.1.content.0.cache_control');
    },
  );

  it('names the type of a block it does not take, not the cache_control on it', () => {
    expect(
      refused({
        model: 'claude-x',
        max_tokens: 16,
        messages: [
          {
            role: 'user',
            content: [{ type: 'document', cache_control: { type: 'bogus' } }],
          },
        ],
      }),
    ).toBe('messages.0.content.0.type');
  });
});
