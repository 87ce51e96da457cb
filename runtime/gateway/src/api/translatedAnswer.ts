import { openAiUsageOf } from '../providers/extractUsage';
import { errorEventProblem } from '../providers/sseText';
import type { TokenUsage, UpstreamResult } from '../providers/types';
import {
  startStream,
  unusableAnswer,
  UpstreamAnswerError,
} from '../providers/upstreamAnswer';
import type { Json } from './fieldChecks';

/** Writes one request's answer in another API's shape, from the chat answer every adapter gives. */
export interface ChatAnswerTranslation {
  /** A `chat.completion` as the API's JSON answer, with the tokens charged. */
  json(completion: Json, usage: TokenUsage): Json;
  /** A translator of this request's `chat.completion.chunk` events. */
  stream(): ChatStreamTranslator;
}

export interface ChatStreamTranslator {
  /** The API's events (SSE text) for one chunk; maybe empty. */
  chunk(chunk: Json): string;
  /** The closing events, once the chunks are drained, with the tokens charged. */
  end(usage: TokenUsage): string;
}

/**
 * The answer's first choice, the one these APIs answer with: by its `index`, not its place
 * (an upstream that returns several interleaves their stream chunks).
 */
export function firstChoice(choices: unknown): Json | undefined {
  if (!Array.isArray(choices)) return undefined;
  for (const choice of choices) {
    if ((choice?.index ?? 0) === 0) return choice;
  }
  return undefined;
}

/** The tokens charged (`Exchange.charged`): what a translated answer reports. */
export type UsageCount = (
  reported: TokenUsage | undefined,
  generated: () => string,
  promptCounted?: number,
) => TokenUsage;

function* chatChunks(sse: string): Generator<Json> {
  for (const line of sse.split('\n')) {
    if (!line.startsWith('data:')) continue;
    const data = line.slice(5).trim();
    if (data === '' || data === '[DONE]') continue;
    let chunk;
    try {
      chunk = JSON.parse(data);
    } catch {
      throw new UpstreamAnswerError('upstream sent an event that is not JSON');
    }
    const problem = errorEventProblem(chunk);
    if (problem) throw new UpstreamAnswerError(problem);
    yield chunk;
  }
}

/**
 * An upstream's chat answer (JSON or chunk stream) as the caller's API answers. Usage, the
 * generated text and failures pass through untouched, so the pipeline charges and settles
 * exactly as for chat. A stream whose first events cannot be translated (an error event, an
 * event that is not JSON) fails before the caller is answered, so another upstream is tried.
 */
export function translateAnswer(
  result: UpstreamResult,
  translation: ChatAnswerTranslation,
  count: UsageCount,
  signal: AbortSignal,
): UpstreamResult | Promise<UpstreamResult> {
  // Not async: a JSON answer, the hot path, is translated without a promise of its own.
  if (result.kind === 'failure') return result;
  if (result.kind === 'json') {
    let answer: Json;
    let body: Buffer;
    try {
      // The adapter parsed the answer when it checked it: no second parse.
      const completion =
        result.answer ?? JSON.parse(result.body.toString('utf8'));
      if (!Array.isArray(completion?.choices)) {
        throw new TypeError('not a chat completion');
      }
      const usage = count(result.usage, result.generatedText);
      answer = translation.json(completion, usage);
      body = Buffer.from(JSON.stringify(answer));
    } catch {
      return {
        kind: 'failure',
        failure: unusableAnswer(
          'upstream answered with no chat completion',
          200,
        ),
      };
    }
    // The answer the caller gets, so that a trace records its id and stop reason.
    return { ...result, body, answer };
  }
  const inner = result;
  async function* events(): AsyncGenerator<string> {
    const translator = translation.stream();
    let reported: TokenUsage | undefined;
    let answered = false;
    for await (const sse of inner.chunks) {
      let out = '';
      try {
        for (const chunk of chatChunks(sse)) {
          reported = openAiUsageOf(chunk.usage) ?? reported;
          out += translator.chunk(chunk);
        }
      } catch (error) {
        // One read may hold good events before the failing one. Once the caller is answered
        // they are sent, and its error event follows them (a Responses one numbered after
        // them); before that the attempt is dropped whole, so another upstream serves it.
        if (answered && out) yield out;
        // A chunk the translation could not read (a field of the wrong type) is the
        // upstream's fault, not its connection's.
        throw error instanceof UpstreamAnswerError
          ? error
          : new UpstreamAnswerError('upstream sent a chunk of the wrong shape');
      }
      if (out) {
        answered = true;
        yield out;
      }
    }
    // An abandoned upstream (its caller gone, the gateway stopping) did not finish: closing
    // events made up here would tell the caller its answer was complete.
    if (signal.aborted) return;
    yield translator.end(
      count(
        reported ?? inner.usage(),
        inner.generatedText,
        inner.promptTokens?.(),
      ),
    );
  }
  return startStream(events(), signal, 200, {
    usage: inner.usage,
    promptTokens: inner.promptTokens,
    generatedText: inner.generatedText,
    generatedChoices: inner.generatedChoices,
  });
}
