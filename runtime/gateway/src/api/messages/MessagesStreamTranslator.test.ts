import { fromAnthropicResponse } from '../../providers/anthropicTranslation';
import { AnthropicStreamTranslator } from '../../providers/AnthropicStreamTranslator';
import type { Json } from '../fieldChecks';
import { messageFromCompletion } from './messagesAnswer';
import { MessagesStreamTranslator } from './MessagesStreamTranslator';

/** One tool-call delta of a chat chunk: `[index, id?, name?, args]`. */
type ToolDelta = [number, string | undefined, string | undefined, string];

/** One chat chunk: text, a tool-call delta, several at once (vLLM), or the finish. */
type Step =
  | { text: string }
  | { tool: ToolDelta }
  | { tools: ToolDelta[] }
  | { finish: string };

function toolCallOf([index, id, name, args]: ToolDelta): Json {
  return {
    index,
    ...(id ? { id, type: 'function' } : {}),
    function: { ...(name ? { name } : {}), arguments: args },
  };
}

/** A step's tool-call deltas (none for text or the finish). */
function deltasOf(step: Step): ToolDelta[] {
  if ('tool' in step) return [step.tool];
  return 'tools' in step ? step.tools : [];
}

function chunkOf(step: Step): Json {
  if ('finish' in step) {
    return { choices: [{ index: 0, delta: {}, finish_reason: step.finish }] };
  }
  if ('text' in step) {
    return { choices: [{ index: 0, delta: { content: step.text } }] };
  }
  return {
    choices: [
      { index: 0, delta: { tool_calls: deltasOf(step).map(toolCallOf) } },
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

/** A seeded pseudo-random source (mulberry32): an integer below `below`, reproducibly. */
function randomOf(seed: number): (below: number) => number {
  let state = seed >>> 0;
  return below => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), state | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 2 ** 32) * below);
  };
}

/** `text` cut into 1 to 4 pieces at random places (the first may be empty, as OpenAI's is). */
function piecesOf(text: string, random: (below: number) => number): string[] {
  const cuts = Array.from({ length: random(4) }, () =>
    random(text.length + 1),
  ).sort((a, b) => a - b);
  return [0, ...cuts, text.length]
    .slice(1)
    .map((end, i, ends) => text.slice(i ? ends[i - 1] : 0, end));
}

/** A chat stream and what it says: its text, and each call's id and whole arguments. */
interface Upstream {
  steps: Step[];
  text: string;
  calls: { id: string; args: string }[];
}

/**
 * Up to four parallel tool calls and some text, each call's deltas in order (its first names
 * it) but the calls and the text shuffled together at random, a later call maybe starting
 * first, consecutive deltas sometimes in one chunk; the finish chunk sometimes missing.
 */
function interleaved(random: (below: number) => number): Upstream {
  const calls = Array.from({ length: 1 + random(4) }, (_, index) => ({
    index,
    id: `call_${index}`,
    args: JSON.stringify({ city: `C${index}`, days: random(9) }),
  }));
  const lanes: Step[][] = calls.map(call =>
    piecesOf(call.args, random).map(
      (args, i): Step => ({
        tool: [
          call.index,
          i ? undefined : call.id,
          i ? undefined : 'weather',
          args,
        ],
      }),
    ),
  );
  const text = random(2) ? 'Checking both. Done.' : '';
  lanes.push(
    piecesOf(text, random)
      .filter(Boolean)
      .map(piece => ({ text: piece })),
  );
  const steps: Step[] = [];
  for (let left = lanes.filter(lane => lane.length); left.length; ) {
    const step = left[random(left.length)].shift()!;
    const last = steps[steps.length - 1];
    if ('tool' in step && last && 'tool' in last && random(3) === 0) {
      steps[steps.length - 1] = { tools: [last.tool, step.tool] };
    } else steps.push(step);
    left = left.filter(lane => lane.length);
  }
  if (random(4)) steps.push({ finish: 'tool_calls' });
  // Blocks follow the order the calls began in the stream.
  const order = steps
    .flatMap(deltasOf)
    .filter(([, id]) => id)
    .map(([index]) => calls[index]);
  return { steps, text, calls: order };
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

  it("keeps the block grammar and every call's arguments for random interleavings", () => {
    for (let seed = 1; seed <= 300; seed++) {
      const upstream = interleaved(randomOf(seed));
      let blocks: Json[];
      try {
        blocks = blocksOf(translate(upstream.steps));
      } catch (error) {
        throw new Error(
          `seed ${seed}, ${JSON.stringify(upstream.steps)}: ${error}`,
        );
      }
      const text = blocks.filter(block => block.type === 'text');
      const tools = blocks.filter(block => block.type === 'tool_use');
      expect({ seed, text: text.map(block => block.text).join('') }).toEqual({
        seed,
        text: upstream.text,
      });
      const idAndArgs = (call: Json) => ({ id: call.id, args: call.args });
      expect({ seed, tools: tools.map(idAndArgs) }).toEqual({
        seed,
        tools: upstream.calls.map(idAndArgs),
      });
    }
  });

  it('opens no block for content that comes after the finish reason', () => {
    expect(
      blocksOf(
        translate([
          weather(0, 'call_a'),
          args(0, '{}'),
          { finish: 'tool_calls' },
          args(0, '{"late":1}'),
          { text: 'late text' },
        ]),
      ),
    ).toEqual([{ ...calls[0], args: '{}' }]);
  });

  it.each([
    ['{"city": "Paris"}', { city: 'Paris' }],
    // A model's broken arguments: what the JSON answer gives, never text the SDK cannot parse.
    ['{"city": Par', { arguments: '{"city": Par' }],
    ['42', { arguments: '42' }],
    ['[1]', { arguments: '[1]' }],
    ['null', { arguments: 'null' }],
  ])(
    'sends the arguments %p whole when the block stops, as the JSON answer does',
    (raw, input) => {
      const translator = new MessagesStreamTranslator('msg_test');
      expect(translator.chunk(chunkOf(weather(0, 'call_a')))).toContain(
        'content_block_start',
      );
      expect(translator.chunk(chunkOf(args(0, raw.slice(0, 3))))).toBe('');
      const blocks = blocksOf(
        translate([
          weather(0, 'call_a'),
          args(0, raw.slice(0, 3)),
          args(0, raw.slice(3)),
          { finish: 'tool_calls' },
        ]),
      );
      expect(JSON.parse(blocks[0].args)).toEqual(input);
      const json = messageFromCompletion(
        {
          choices: [
            {
              index: 0,
              message: {
                tool_calls: [
                  {
                    id: 'call_a',
                    function: { name: 'weather', arguments: raw },
                  },
                ],
              },
              finish_reason: 'tool_calls',
            },
          ],
        },
        { inputTokens: 1, outputTokens: 1 },
        'msg_test',
      );
      expect(json.content[0].input).toEqual(input);
    },
  );

  it("answers with the first choice only when an upstream's chunks interleave several", () => {
    const translator = new MessagesStreamTranslator('msg_test');
    const chunks: Json[] = [
      { choices: [{ index: 0, delta: { content: 'first ' } }] },
      { choices: [{ index: 1, delta: { content: 'second ' } }] },
      { choices: [{ index: 1, delta: {}, finish_reason: 'length' }] },
      { choices: [{ index: 0, delta: { content: 'choice' } }] },
      { choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] },
    ];
    let sse = '';
    for (const chunk of chunks) sse += translator.chunk(chunk);
    sse += translator.end({ inputTokens: 1, outputTokens: 1 });
    const events = sse
      .trim()
      .split('\n\n')
      .map(event => JSON.parse(event.split('\n')[1].slice('data: '.length)));
    expect(blocksOf(events)).toEqual([{ type: 'text', text: 'first choice' }]);
    expect(events[events.length - 2].delta.stop_reason).toBe('end_turn');
  });

  it("gives an OpenAI upstream's refusal Anthropic's refusal stop, streamed or not", () => {
    const translator = new MessagesStreamTranslator('msg_test');
    const sse =
      translator.chunk({
        choices: [{ index: 0, delta: { refusal: 'I cannot help' } }],
      }) +
      translator.chunk({
        choices: [{ index: 0, delta: {}, finish_reason: 'stop' }],
      }) +
      translator.end({ inputTokens: 1, outputTokens: 1 });
    const delta = sse
      .split('\n\n')
      .find(event => event.startsWith('event: message_delta'))!;
    expect(JSON.parse(delta.split('data: ')[1]).delta.stop_reason).toBe(
      'refusal',
    );
    const json = messageFromCompletion(
      {
        choices: [
          {
            index: 0,
            message: { content: null, refusal: 'I cannot help' },
            finish_reason: 'stop',
          },
        ],
      },
      { inputTokens: 1, outputTokens: 1 },
      'msg_test',
    );
    expect(json).toMatchObject({
      content: [{ type: 'text', text: 'I cannot help' }],
      stop_reason: 'refusal',
    });
  });

  it("reports the tokens the upstream's prompt cache served as Anthropic does, apart from input_tokens", () => {
    const usage = {
      inputTokens: 1000,
      outputTokens: 50,
      cachedInputTokens: 900,
    };
    const translator = new MessagesStreamTranslator('msg_test');
    const sse =
      translator.chunk(chunkOf({ text: 'hi' })) +
      translator.chunk(chunkOf({ finish: 'stop' })) +
      translator.end(usage);
    const delta = sse
      .split('\n\n')
      .find(event => event.startsWith('event: message_delta'))!;
    const expected = {
      input_tokens: 100,
      output_tokens: 50,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 900,
    };
    expect(JSON.parse(delta.split('data: ')[1]).usage).toEqual(expected);
    const json = messageFromCompletion(
      {
        model: 'm',
        choices: [
          { index: 0, message: { content: 'hi' }, finish_reason: 'stop' },
        ],
      },
      usage,
      'msg_test',
    );
    expect(json.usage).toEqual(expected);
  });

  it('says which stop sequence ended an answer from an Anthropic upstream, streamed or not', () => {
    const usage = { inputTokens: 3, outputTokens: 2 };
    // Through the Anthropic adapter's translation to chat, and back to Messages.
    const completion = fromAnthropicResponse(
      {
        id: 'msg_up',
        model: 'claude-x',
        content: [{ type: 'text', text: 'one two' }],
        stop_reason: 'stop_sequence',
        stop_sequence: 'END',
        usage: { input_tokens: 3, output_tokens: 2 },
      },
      1,
    );
    expect(messageFromCompletion(completion, usage, 'msg_test')).toMatchObject({
      stop_reason: 'stop_sequence',
      stop_sequence: 'END',
    });
    const upstream = new AnthropicStreamTranslator(false, 1);
    const chat = upstream.push(
      [
        {
          type: 'message_start',
          message: {
            id: 'msg_up',
            model: 'claude-x',
            usage: { input_tokens: 3 },
          },
        },
        {
          type: 'content_block_start',
          index: 0,
          content_block: { type: 'text', text: '' },
        },
        {
          type: 'content_block_delta',
          index: 0,
          delta: { type: 'text_delta', text: 'one two' },
        },
        { type: 'content_block_stop', index: 0 },
        {
          type: 'message_delta',
          delta: { stop_reason: 'stop_sequence', stop_sequence: 'END' },
          usage: { output_tokens: 2 },
        },
        { type: 'message_stop' },
      ]
        .map(
          event => `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`,
        )
        .join(''),
    );
    const translator = new MessagesStreamTranslator('msg_test');
    let sse = '';
    for (const line of chat.split('\n')) {
      if (line.startsWith('data: {'))
        sse += translator.chunk(JSON.parse(line.slice(6)));
    }
    sse += translator.end(usage);
    const delta = sse
      .split('\n\n')
      .find(event => event.startsWith('event: message_delta'))!;
    expect(JSON.parse(delta.split('data: ')[1]).delta).toEqual({
      stop_reason: 'stop_sequence',
      stop_sequence: 'END',
    });
    // A plain stop is still the end of the turn.
    expect(
      messageFromCompletion(
        {
          model: 'm',
          choices: [
            { index: 0, message: { content: 'x' }, finish_reason: 'stop' },
          ],
        },
        usage,
        'msg_test',
      ),
    ).toMatchObject({ stop_reason: 'end_turn', stop_sequence: null });
  });
});
