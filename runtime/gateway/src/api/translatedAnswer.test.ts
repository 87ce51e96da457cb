import { DEFAULT_ECHO as echo } from '../__testUtils__/responseEcho';
import type { UpstreamResult } from '../providers/types';
import { UpstreamAnswerError } from '../providers/upstreamAnswer';
import { MessagesStreamTranslator } from './messages/MessagesStreamTranslator';
import { ResponsesStreamTranslator } from './responses/ResponsesStreamTranslator';
import { ResponseIds } from './responses/responseObject';
import { ChatStreamTranslator, translateAnswer } from './translatedAnswer';

/** What an OpenAI-protocol upstream (OpenAI, vLLM) sends when it fails after the stream began. */
const failingStream = [
  'data: {"id":"c","model":"m","choices":[{"index":0,"delta":{"content":"Hel"}}]}\n\n',
  'data: {"error":{"message":"The server had an error while processing your request","type":"server_error"}}\n\n',
  'data: [DONE]\n\n',
];

function translated(
  stream: () => ChatStreamTranslator,
  events: string[],
): Promise<UpstreamResult> {
  const upstream = {
    kind: 'stream',
    chunks: (async function* chunks() {
      yield* events;
    })(),
    usage: () => undefined,
    generatedText: () => 'Hel',
  } as unknown as UpstreamResult;
  return Promise.resolve(
    translateAnswer(
      upstream,
      { json: () => ({}), stream },
      () => ({ inputTokens: 5, outputTokens: 1 }),
      new AbortController().signal,
    ),
  );
}

async function drain(stream: () => ChatStreamTranslator): Promise<string> {
  const answer = await translated(stream, failingStream);
  if (answer.kind !== 'stream') throw new Error('expected a stream');
  let text = '';
  for await (const sse of answer.chunks) text += sse;
  return text;
}

describe('translateAnswer', () => {
  it.each([
    [
      'Responses',
      () => new ResponsesStreamTranslator(new ResponseIds('a'), echo, 0),
    ],
    ['Messages', () => new MessagesStreamTranslator('msg_a')],
  ])(
    'fails a %s stream whose upstream sends an error event, instead of completing it',
    async (_api, translator) => {
      await expect(drain(translator)).rejects.toThrow(UpstreamAnswerError);
      await expect(drain(translator)).rejects.toThrow(
        'upstream reported an error mid-stream: server_error',
      );
    },
  );

  it.each([
    [
      'Responses',
      () => new ResponsesStreamTranslator(new ResponseIds('a'), echo, 0),
    ],
    ['Messages', () => new MessagesStreamTranslator('msg_a')],
  ])(
    'fails a %s stream whose first upstream event is an error before the caller is answered',
    async (_api, translator) => {
      const answer = await translated(translator, failingStream.slice(1));
      expect(answer).toMatchObject({
        kind: 'failure',
        failure: {
          errorClass: 'upstream-error',
          retriable: true,
          message: 'upstream reported an error mid-stream: server_error',
        },
      });
    },
  );

  it.each([
    [
      'Responses',
      () => new ResponsesStreamTranslator(new ResponseIds('a'), echo, 0),
    ],
    ['Messages', () => new MessagesStreamTranslator('msg_a')],
  ])(
    "fails a %s stream whose upstream sends a field the translation cannot read as the upstream's error, not an unreachable upstream",
    async (_api, translator) => {
      const answer = await translated(translator, [
        'data: {"id":"c","model":{"toString":1},"choices":[{"index":0,"delta":{"content":"Hel"}}]}\n\n',
      ]);
      expect(answer).toMatchObject({
        kind: 'failure',
        failure: {
          errorClass: 'upstream-error',
          message: 'upstream sent a chunk of the wrong shape',
        },
      });
    },
  );
});
