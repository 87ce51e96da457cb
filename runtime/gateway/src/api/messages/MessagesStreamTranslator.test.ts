import type { Json } from '../fieldChecks';
import { MessagesStreamTranslator } from './MessagesStreamTranslator';

/** One chat chunk: text, tool-call deltas (`[index, id?, name?, args]`) or the finish. */
type Step =
  | { text: string }
  | { tool: [number, string | undefined, string | undefined, string] }
  | { finish: string };

function chunkOf(step: Step): Json {
  if ('finish' in step) {
    return { choices: [{ index: 0, delta: {}, finish_reason: step.finish }] };
  }
  if ('text' in step) {
    return { choices: [{ index: 0, delta: { content: step.text } }] };
  }
  const [index, id, name, args] = step.tool;
  return {
    choices: [
      {
        index: 0,
        delta: {
          tool_calls: [
            {
              index,
              ...(id ? { id, type: 'function' } : {}),
              function: { ...(name ? { name } : {}), arguments: args },
            },
          ],
        },
      },
    ],
  };
}

function translate(steps: Step[]): Json[] {
  const translator = new MessagesStreamTranslator('msg_test');
  let sse = '';
  for (const step of steps) sse += translator.chunk(chunkOf(step));
  sse += translator.end({ inputTokens: 3, outputTokens: 5 });
  return sse
    .trim()
    .split('\n\n')
    .map(event => {
      const [name, data] = event.split('\n');
      const parsed = JSON.parse(data.slice('data: '.length));
      expect(name).toBe(`event: ${parsed.type}`);
      return parsed;
    });
}

/**
 * Checks Anthropic's stream grammar: message_start; blocks 0..n-1 in order, each started,
 * given its deltas and stopped before the next starts; message_delta; message_stop. Returns
 * the blocks with their text or their tool call's whole arguments.
 */
function blocksOf(events: Json[]): Json[] {
  expect(events[0].type).toBe('message_start');
  expect(events[events.length - 2].type).toBe('message_delta');
  expect(events[events.length - 1].type).toBe('message_stop');
  const blocks: Json[] = [];
  let open: Json | undefined;
  for (const event of events.slice(1, -2)) {
    if (event.type === 'content_block_start') {
      expect(open).toBeUndefined();
      expect(event.index).toBe(blocks.length);
      const block: Json = {
        ...event.content_block,
        args: '',
        index: event.index,
      };
      blocks.push(block);
      open = block;
    } else if (event.type === 'content_block_delta') {
      expect(open?.index).toBe(event.index);
      if (event.delta.type === 'text_delta') open!.text += event.delta.text;
      else open!.args += event.delta.partial_json;
    } else {
      expect(event.type).toBe('content_block_stop');
      expect(open?.index).toBe(event.index);
      open = undefined;
    }
  }
  expect(open).toBeUndefined();
  return blocks.map(({ index: _index, ...block }) =>
    block.type === 'text'
      ? { type: 'text', text: block.text }
      : { type: 'tool_use', id: block.id, name: block.name, args: block.args },
  );
}

describe('MessagesStreamTranslator', () => {
  const weather = (index: number, id: string) =>
    ({ tool: [index, id, 'weather', ''] } as Step);
  const args = (index: number, text: string) =>
    ({ tool: [index, undefined, undefined, text] } as Step);
  const calls = [
    {
      type: 'tool_use',
      id: 'call_a',
      name: 'weather',
      args: '{"city":"Zürich"}',
    },
    {
      type: 'tool_use',
      id: 'call_b',
      name: 'weather',
      args: '{"city":"Köln"}',
    },
  ];

  it.each<[string, Step[], Json[]]>([
    [
      'calls one after another',
      [
        weather(0, 'call_a'),
        args(0, '{"city":'),
        args(0, '"Zürich"}'),
        weather(1, 'call_b'),
        args(1, '{"city":"Köln"}'),
        { finish: 'tool_calls' },
      ],
      calls,
    ],
    [
      'calls whose argument deltas interleave',
      [
        weather(0, 'call_a'),
        weather(1, 'call_b'),
        args(0, '{"city":'),
        args(1, '{"city":'),
        args(0, '"Zürich"}'),
        args(1, '"Köln"}'),
        { finish: 'tool_calls' },
      ],
      calls,
    ],
    [
      'a later call that starts first in the stream',
      [
        weather(1, 'call_b'),
        weather(0, 'call_a'),
        args(0, '{"city":"Zürich"}'),
        args(1, '{"city":"Köln"}'),
        { finish: 'tool_calls' },
      ],
      [calls[1], calls[0]],
    ],
    [
      'text, interleaved calls, and text between them',
      [
        { text: 'Let me ' },
        { text: 'check.' },
        weather(0, 'call_a'),
        weather(1, 'call_b'),
        { text: 'Both cities.' },
        args(1, '{"city":"Köln"}'),
        args(0, '{"city":"Zürich"}'),
        { finish: 'tool_calls' },
      ],
      [
        { type: 'text', text: 'Let me check.' },
        calls[0],
        // In the order each began.
        calls[1],
        { type: 'text', text: 'Both cities.' },
      ],
    ],
    [
      'a stream that ends without a finish reason',
      [weather(0, 'call_a'), weather(1, 'call_b'), args(0, '{}')],
      [
        { ...calls[0], args: '{}' },
        { ...calls[1], args: '' },
      ],
    ],
  ])('keeps the block grammar for %s', (_what, steps, blocks) => {
    expect(blocksOf(translate(steps))).toEqual(blocks);
  });

  it('streams the first tool call live, before the answer finishes', () => {
    const translator = new MessagesStreamTranslator('msg_test');
    translator.chunk(chunkOf(weather(0, 'call_a')));
    expect(translator.chunk(chunkOf(args(0, '{"city":')))).toContain(
      'input_json_delta',
    );
  });
});
