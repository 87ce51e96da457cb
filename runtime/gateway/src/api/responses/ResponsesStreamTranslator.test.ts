import { DEFAULT_ECHO as echo } from '../../__testUtils__/responseEcho';
import { RESPONSES_ERRORS } from '../../http/ErrorShape';
import { GatewayError } from '../../http/GatewayError';
import type { UpstreamResult } from '../../providers/types';
import type { Json } from '../fieldChecks';
import { translateAnswer } from '../translatedAnswer';
import { ResponseIds } from './responseObject';
import { responseFromCompletion } from './responsesAnswer';
import { ResponsesStreamTranslator } from './ResponsesStreamTranslator';

const text = (content: string): Json => ({
  model: 'm',
  choices: [{ index: 0, delta: { content } }],
});
const call = (index: number, args: string, id?: string): Json => ({
  model: 'm',
  choices: [
    {
      index: 0,
      delta: {
        tool_calls: [
          {
            index,
            ...(id ? { id, type: 'function' } : {}),
            function: { ...(id ? { name: 'weather' } : {}), arguments: args },
          },
        ],
      },
    },
  ],
});
const finish: Json = {
  model: 'm',
  choices: [{ index: 0, delta: {}, finish_reason: 'tool_calls' }],
};

/** The data of each event in an SSE text. */
function eventsOf(sse: string): Json[] {
  return sse
    .trim()
    .split('\n\n')
    .filter(Boolean)
    .map(event => JSON.parse(event.split('data: ')[1]));
}

const sse = (chunk: Json) => `data: ${JSON.stringify(chunk)}\n\n`;

/** The JSON answer to a chat completion of one choice. */
function jsonAnswer(
  message: Json,
  finishReason: string,
  usage = { inputTokens: 3, outputTokens: 5 },
): Json {
  return responseFromCompletion(
    {
      model: 'm',
      choices: [
        {
          index: 0,
          message: { role: 'assistant', ...message },
          finish_reason: finishReason,
        },
      ],
    },
    usage,
    new ResponseIds('a'),
    echo,
  );
}

function upstreamOf(pieces: string[]): UpstreamResult {
  return {
    kind: 'stream',
    chunks: (async function* chunks() {
      yield* pieces;
    })(),
    usage: () => undefined,
    generatedText: () => '',
  } as unknown as UpstreamResult;
}

describe('ResponsesStreamTranslator', () => {
  it('numbers its events 0, 1, 2, … and knows the next number after each chunk', () => {
    const translator = new ResponsesStreamTranslator(
      new ResponseIds('a'),
      echo,
      0,
    );
    expect(translator.nextSequence).toBe(0);
    const chunks = [
      text('Let me check.'),
      call(0, '', 'call_a'),
      call(1, '', 'call_b'),
      call(0, '{"city":"Zürich"}'),
      call(1, '{"city":"Köln"}'),
      finish,
    ];
    const numbers: number[] = [];
    const sent = (out: string) => {
      numbers.push(...eventsOf(out).map(event => event.sequence_number));
      expect(translator.nextSequence).toBe(numbers.length);
    };
    for (const chunk of chunks) sent(translator.chunk(chunk));
    sent(translator.end({ inputTokens: 3, outputTokens: 5 }));
    expect(numbers).toEqual(numbers.map((_, i) => i));
  });

  // The gateway writes the error event of a broken stream with the relayed translator's
  // nextSequence (ResponsesEndpoint hands it to RequestLifecycle), so that the caller's
  // numbering goes on without a gap or a repeat.
  it.each([
    [
      'in a read of its own',
      [
        sse(text('Hel')),
        sse(call(0, '{"city"', 'call_a')),
        'data: {"error":{"type":"server_error"}}\n\n',
      ],
    ],
    [
      'in the same read as good events, which are still sent',
      [
        sse(text('Hel')),
        `${sse(text('lo'))}data: {"error":{"type":"server_error"}}\n\n`,
      ],
    ],
  ])(
    'has a stream broken by an error event %s end with an error event numbered after the last event sent',
    async (_where, pieces) => {
      let translator: ResponsesStreamTranslator | undefined;
      const answer = await translateAnswer(
        upstreamOf(pieces),
        {
          json: () => ({}),
          stream: () => {
            translator = new ResponsesStreamTranslator(
              new ResponseIds('a'),
              echo,
              0,
            );
            return translator;
          },
        },
        () => ({ inputTokens: 1, outputTokens: 1 }),
        new AbortController().signal,
      );
      if (answer.kind !== 'stream') throw new Error('expected a stream');
      let sent = '';
      await expect(
        (async () => {
          for await (const piece of answer.chunks) sent += piece;
        })(),
      ).rejects.toThrow('upstream reported an error mid-stream');
      const broken = new GatewayError(
        502,
        'upstream_stream_broken',
        'the upstream stream ended abruptly',
        'upstream-error',
      );
      const events = eventsOf(
        sent + RESPONSES_ERRORS.streamEvent(broken, translator!.nextSequence),
      );
      expect(events[events.length - 1]).toMatchObject({ type: 'error' });
      expect(events.map(event => event.sequence_number)).toEqual(
        events.map((_, i) => i),
      );
      // Every text delta the upstream sent before its error reached the caller.
      expect(
        events
          .filter(e => e.type === 'response.output_text.delta')
          .map(e => e.delta)
          .join(''),
      ).toBe(pieces.join('').includes('"lo"') ? 'Hello' : 'Hel');
    },
  );

  function translate(chunks: Json[]): Json[] {
    const translator = new ResponsesStreamTranslator(
      new ResponseIds('a'),
      echo,
      0,
    );
    return eventsOf(
      chunks.map(chunk => translator.chunk(chunk)).join('') +
        translator.end({ inputTokens: 3, outputTokens: 5 }),
    );
  }

  it('keeps a function call whole when the upstream sends text between its argument deltas', () => {
    const events = translate([
      text('Hello'),
      call(0, '{"city"', 'call_a'),
      text(' and more'),
      call(0, ':"Zürich"}'),
      finish,
    ]);
    const { output } = events[events.length - 1].response;
    const calls = output.filter((item: Json) => item.type === 'function_call');
    expect(calls).toEqual([
      expect.objectContaining({
        call_id: 'call_a',
        name: 'weather',
        arguments: '{"city":"Zürich"}',
      }),
    ]);
    expect(
      output.map((item: Json) => item.content?.[0]?.text ?? item.type),
    ).toEqual(['Hello', 'function_call', ' and more']);
    // Every item has an id of its own, and each is added and done once.
    const ids = output.map((item: Json) => item.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const type of [
      'response.output_item.added',
      'response.output_item.done',
    ]) {
      expect(events.filter(e => e.type === type).map(e => e.item.id)).toEqual(
        expect.arrayContaining(ids),
      );
      expect(events.filter(e => e.type === type)).toHaveLength(ids.length);
    }
    const done = events.find(
      e => e.type === 'response.function_call_arguments.done',
    );
    expect(done).toMatchObject({ arguments: '{"city":"Zürich"}' });
  });

  it("answers with the first choice only, streamed or not, when an upstream's chunks interleave several", () => {
    const of = (index: number, delta: Json, finishReason?: string): Json => ({
      model: 'm',
      choices: [
        {
          index,
          delta,
          ...(finishReason ? { finish_reason: finishReason } : {}),
        },
      ],
    });
    const events = translate([
      of(0, { content: 'first ' }),
      of(1, { content: 'second ' }),
      of(1, {}, 'length'),
      of(0, { content: 'choice' }),
      of(0, {}, 'stop'),
    ]);
    const last = events[events.length - 1];
    expect(last.type).toBe('response.completed');
    expect(
      last.response.output.map((item: Json) => item.content[0].text),
    ).toEqual(['first choice']);
    const json = responseFromCompletion(
      {
        model: 'm',
        choices: [
          { index: 1, message: { content: 'second' }, finish_reason: 'length' },
          {
            index: 0,
            message: { content: 'first choice' },
            finish_reason: 'stop',
          },
        ],
      },
      { inputTokens: 3, outputTokens: 5 },
      new ResponseIds('a'),
      echo,
    );
    expect(json.status).toBe('completed');
    expect(json.output).toEqual(last.response.output);
  });

  it("drops what an upstream sends after its answer's finish, as the Messages translation does", () => {
    const events = translate([
      text('A'),
      { model: 'm', choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] },
      text('B-after-finish'),
    ]);
    const last = events[events.length - 1];
    expect(last.type).toBe('response.completed');
    // One message item, not a second one opened for the late text.
    expect(
      last.response.output.map((item: Json) => item.content[0].text),
    ).toEqual(['A']);
    expect(
      events.filter(event => event.type === 'response.output_item.added'),
    ).toHaveLength(1);
  });

  it('streams a refusal as refusal events and a refusal part, as the JSON answer holds it', () => {
    const refusal = (piece: string): Json => ({
      model: 'm',
      choices: [{ index: 0, delta: { refusal: piece } }],
    });
    const events = translate([
      refusal('I cannot'),
      refusal(' help.'),
      { model: 'm', choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] },
    ]);
    const types = events.map(e => e.type);
    expect(types).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      'response.refusal.delta',
      'response.refusal.delta',
      'response.refusal.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ]);
    expect(events[3].part).toEqual({ type: 'refusal', refusal: '' });
    expect(events[6]).toMatchObject({ refusal: 'I cannot help.' });
    expect(events[9].response.output[0].content).toEqual([
      { type: 'refusal', refusal: 'I cannot help.' },
    ]);
  });

  it('answers text and a refusal, streamed or not, with the same output items', () => {
    const events = translate([
      text('Here is part.'),
      {
        model: 'm',
        choices: [{ index: 0, delta: { refusal: 'The rest I cannot.' } }],
      },
      { model: 'm', choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] },
    ]);
    const streamed = events[events.length - 1].response.output;
    const json = jsonAnswer(
      { content: 'Here is part.', refusal: 'The rest I cannot.' },
      'stop',
    ).output;
    expect(json.map((item: Json) => item.content)).toEqual([
      [
        {
          type: 'output_text',
          text: 'Here is part.',
          annotations: [],
          logprobs: [],
        },
      ],
      [{ type: 'refusal', refusal: 'The rest I cannot.' }],
    ]);
    expect(json).toEqual(streamed);
  });

  it.each([
    ['text', [text('Once upon a')]],
    [
      'text then a call',
      [text('Let me check.'), call(0, '{"city":', 'call_a')],
    ],
  ])(
    'marks the items the output limit cut off incomplete, streamed or not: %s',
    (_what, chunks) => {
      const events = translate([
        ...chunks,
        {
          model: 'm',
          choices: [{ index: 0, delta: {}, finish_reason: 'length' }],
        },
      ]);
      const last = events[events.length - 1];
      expect(last.type).toBe('response.incomplete');
      const streamed = last.response.output;
      const calls = chunks.length > 1;
      const json = jsonAnswer(
        {
          content: calls ? 'Let me check.' : 'Once upon a',
          ...(calls
            ? {
                tool_calls: [
                  {
                    id: 'call_a',
                    type: 'function',
                    function: { name: 'weather', arguments: '{"city":' },
                  },
                ],
              }
            : {}),
        },
        'length',
      );
      expect(json.status).toBe('incomplete');
      expect(streamed.map((item: Json) => item.status)).toEqual(
        calls ? ['completed', 'incomplete'] : ['incomplete'],
      );
      expect(json.output).toEqual(streamed);
      // The done events say what the final response says.
      const done = events.filter(e => e.type === 'response.output_item.done');
      expect(done.map(e => e.item.status)).toEqual(
        streamed.map((item: Json) => item.status),
      );
    },
  );

  it('reports the cached prompt and reasoning tokens the upstream counted', () => {
    const usage = {
      inputTokens: 120,
      outputTokens: 40,
      cachedInputTokens: 100,
      reasoningTokens: 32,
    };
    const translator = new ResponsesStreamTranslator(
      new ResponseIds('a'),
      echo,
      0,
    );
    const events = eventsOf(
      translator.chunk(text('hi')) + translator.end(usage),
    );
    const streamed = events[events.length - 1].response.usage;
    expect(streamed).toEqual({
      input_tokens: 120,
      input_tokens_details: { cached_tokens: 100 },
      output_tokens: 40,
      output_tokens_details: { reasoning_tokens: 32 },
      total_tokens: 160,
    });
    const json = jsonAnswer({ content: 'hi' }, 'stop', usage);
    expect(json.usage).toEqual(streamed);
  });
});
