import { StringDecoder } from 'node:string_decoder';
import { AnthropicStreamTranslator } from './AnthropicStreamTranslator';
import {
  ANTHROPIC_VERSION,
  fromAnthropicResponse,
  toAnthropicRequest,
  usesLegacyFunctions,
} from './anthropicTranslation';
import { openAiUsageOf } from './extractUsage';
import { choicesText, foldChoices } from './generatedText';
import type { ChatCall, ProviderAdapter, UpstreamResult } from './types';
import {
  EventWatch,
  readUntilComplete,
  startStream,
  streamContentTypeProblem,
  unusableAnswer,
} from './upstreamAnswer';
import { isFailure, UpstreamHttp } from './UpstreamHttp';
import { upstreamSecret } from './upstreamSecret';

/**
 * Anthropic's Messages API behind the gateway's OpenAI-compatible surface: requests are
 * translated to Anthropic's shape, answers and streamed events back to OpenAI's.
 */
export class AnthropicAdapter implements ProviderAdapter {
  constructor(
    private readonly http: UpstreamHttp,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  async chat(call: ChatCall): Promise<UpstreamResult> {
    let request;
    try {
      request = toAnthropicRequest(
        call.body,
        call.profile.upstreamModel,
        call.profile.maxOutputTokens,
      );
    } catch {
      // The body passed the gateway's checks but has a shape Anthropic's API cannot express.
      return {
        kind: 'failure',
        failure: {
          errorClass: 'invalid-request',
          retriable: false,
          cannotServe: true,
          message: 'request cannot be translated for an Anthropic model',
        },
      };
    }
    if ((request.messages as unknown[]).length === 0) {
      // Anthropic takes system prompts apart from the turns and needs at least one turn: a
      // request of system messages alone would cost an upstream call only to be refused.
      return {
        kind: 'failure',
        failure: {
          errorClass: 'invalid-request',
          retriable: false,
          cannotServe: true,
          message:
            'messages must hold a user or assistant message for an Anthropic model: system messages alone leave it no turn',
          param: 'messages',
        },
      };
    }
    const url = anthropicMessagesUrl(call.profile.endpoint);
    const headers = this.headers(call);
    if (!call.summary.stream) {
      const answer = await this.http.postBuffered(
        url,
        headers,
        JSON.stringify(request),
        call.signal,
        call.memory,
      );
      if (isFailure(answer)) {
        return { kind: 'failure', failure: answer };
      }
      return this.translateJson(
        answer.body.toString('utf8'),
        answer.statusCode,
        Math.floor(Date.now() / 1000),
        usesLegacyFunctions(call.body),
      );
    }
    const response = await this.http.post(
      url,
      headers,
      JSON.stringify(request),
      call.signal,
    );
    if (isFailure(response)) {
      return { kind: 'failure', failure: response };
    }
    const created = Math.floor(Date.now() / 1000);
    const problem = streamContentTypeProblem(response);
    if (problem) {
      return {
        kind: 'failure',
        failure: unusableAnswer(problem, response.statusCode),
      };
    }
    const translator = new AnthropicStreamTranslator(
      call.summary.includeUsage,
      created,
      usesLegacyFunctions(call.body),
    );
    const signal = call.signal;
    const upstream = response.body;
    const watch = new EventWatch(this.http.eventTimeoutMs);
    async function* events(): AsyncGenerator<string> {
      const decoder = new StringDecoder('utf8');
      try {
        for await (const chunk of readUntilComplete(
          upstream,
          () => translator.complete,
        )) {
          const text = decoder.write(chunk);
          const out = translator.push(text);
          watch.read(text);
          if (out) yield out;
          translator.throwIfBroken();
        }
        translator.end();
      } catch (error) {
        // A connection that breaks once the answer is complete (its `message_stop` came)
        // takes nothing from it.
        if (!signal.aborted && !translator.complete) throw error;
      }
    }
    return startStream(events(), signal, response.statusCode, {
      usage: () => translator.usage,
      promptTokens: () => translator.promptTokens,
      generatedText: () => translator.generatedText,
      generatedChoices: () => translator.generatedChoices,
    });
  }

  /** A Messages answer as OpenAI's chat completion. */
  private translateJson(
    text: string,
    status: number,
    created: number,
    legacyFunctions: boolean,
  ): UpstreamResult {
    let translated;
    let body: Buffer;
    try {
      const message = JSON.parse(text);
      if (!Array.isArray(message?.content)) {
        throw new TypeError('not a Messages answer');
      }
      translated = fromAnthropicResponse(message, created, legacyFunctions);
      body = Buffer.from(JSON.stringify(translated));
    } catch {
      // Invalid JSON, JSON that is not a Messages answer, or one too deep to serialize.
      return {
        kind: 'failure',
        failure: unusableAnswer(
          'upstream answered with invalid JSON or not an Anthropic message',
          status,
        ),
      };
    }
    return {
      kind: 'json',
      body,
      answer: translated as unknown as Record<string, unknown>,
      usage: openAiUsageOf(translated.usage),
      generatedText: () => choicesText(translated.choices, 'message'),
      generatedChoices: () => foldChoices([], translated.choices, 'message'),
    };
  }

  async embeddings(): Promise<UpstreamResult> {
    return {
      kind: 'failure',
      failure: {
        errorClass: 'invalid-request',
        retriable: false,
        message: 'Anthropic model profiles offer no embeddings API',
      },
    };
  }

  private headers({
    profile,
    traceparent,
    tracestate,
  }: ChatCall): Record<string, string> {
    const headers: Record<string, string> = {
      traceparent,
      'anthropic-version': ANTHROPIC_VERSION,
    };
    if (tracestate) headers.tracestate = tracestate;
    const secret = upstreamSecret(profile, this.env);
    if (secret) {
      headers['x-api-key'] = secret;
    }
    return headers;
  }
}

/**
 * Where a profile's Messages API answers. Anthropic's base URL is `https://api.anthropic.com`
 * (its SDKs add `/v1/messages`); a profile may also name the versioned base, `.../v1`.
 */
export function anthropicMessagesUrl(endpoint: string): string {
  const base = endpoint.replace(/\/+$/, '');
  return /\/v1$/.test(base) ? `${base}/messages` : `${base}/v1/messages`;
}
