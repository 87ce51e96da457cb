import { isUtf8 } from 'node:buffer';
import { StringDecoder } from 'node:string_decoder';
import type { GatewayModelProfile } from '@cellport/plugin-platform-common';
import { maxOutputTokens } from '../usage/cost';
import { openAiUsageOf } from './extractUsage';
import { choicesProblem } from './choiceShape';
import { embeddingsProblem } from './embeddingShape';
import { narrowedToAllowedTools } from './allowedTools';
import { choicesText, foldChoices } from './generatedText';
import { OpenAiStreamRelay } from './OpenAiStreamRelay';
import type {
  ChatCall,
  EmbeddingsCall,
  ProviderAdapter,
  UpstreamResult,
} from './types';
import {
  EventWatch,
  parseJsonAnswer,
  readUntilComplete,
  startStream,
  streamContentTypeProblem,
  unusableAnswer,
} from './upstreamAnswer';
import { upstreamSecret } from './upstreamSecret';
import { isFailure, UpstreamHttp, UpstreamResponse } from './UpstreamHttp';

const AZURE_API_VERSION = '2024-10-21';

/**
 * The OpenAI wire protocol: OpenAI itself, Azure OpenAI deployments, vLLM, Together, Moonshot
 * and the simulator. The caller's body goes upstream as is, with the profile's model name and,
 * when streaming, a request for the usage chunk.
 */
export class OpenAiAdapter implements ProviderAdapter {
  constructor(
    private readonly http: UpstreamHttp,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  async chat(call: ChatCall): Promise<UpstreamResult> {
    const body: Record<string, unknown> = {
      ...(call.profile.provider === 'openai'
        ? call.body
        : narrowedToAllowedTools(call.body)),
      model: call.profile.upstreamModel,
    };
    // The reservation counted at most this many output tokens per choice; the upstream must
    // not be left to its own default (vLLM's is the whole context) or a caller's larger ask.
    // The caller's field is kept; without one, OpenAI's own APIs get max_completion_tokens
    // (their reasoning models refuse max_tokens) and other servers the older max_tokens.
    const outputBound = maxOutputTokens(call.profile, call.summary.maxTokens);
    const completionField =
      body.max_completion_tokens !== undefined ||
      (body.max_tokens === undefined &&
        (call.profile.provider === 'openai' ||
          call.profile.provider === 'azure-openai'));
    if (completionField) {
      body.max_completion_tokens = outputBound;
      delete body.max_tokens;
    } else {
      body.max_tokens = outputBound;
    }
    if (call.summary.stream) {
      body.stream_options = {
        ...(call.body.stream_options as object | undefined),
        include_usage: true,
      };
    }
    const url = this.url(call.profile, 'chat/completions');
    const headers = this.headers(call);
    if (!call.summary.stream) {
      return this.callForJson(url, headers, body, call, 'choices', answer =>
        choicesText(answer.choices, 'message'),
      );
    }
    const response = await this.http.post(
      url,
      headers,
      JSON.stringify(body),
      call.signal,
    );
    if (isFailure(response)) {
      return { kind: 'failure', failure: response };
    }
    const problem = streamContentTypeProblem(response);
    if (problem) {
      return {
        kind: 'failure',
        failure: unusableAnswer(problem, response.statusCode),
      };
    }
    return this.relayStream(response, call.summary.includeUsage, call.signal);
  }

  embeddings(call: EmbeddingsCall): Promise<UpstreamResult> {
    // `null` counts as absent, as the gateway checked it; upstreams refuse a null option.
    const body: Record<string, unknown> = {};
    for (const [field, value] of Object.entries(call.body)) {
      if (value !== null) body[field] = value;
    }
    body.model = call.profile.upstreamModel;
    return this.callForJson(
      this.url(call.profile, 'embeddings'),
      this.headers(call),
      body,
      call,
      'data',
      () => '',
    );
  }

  /**
   * A call answered with one JSON document: read whole, checked, parsed once. It must hold
   * the array its API answers with (`choices`, `data`): an object without it (`{}`, an error
   * sent with a 200) would reach the caller as a success it cannot read.
   */
  private async callForJson(
    url: string,
    headers: Record<string, string>,
    body: Record<string, unknown>,
    call: Pick<ChatCall, 'signal' | 'memory'>,
    answerArray: 'choices' | 'data',
    text: (answer: Record<string, unknown>) => string,
  ): Promise<UpstreamResult> {
    const response = await this.http.postBuffered(
      url,
      headers,
      JSON.stringify(body),
      call.signal,
      call.memory,
    );
    if (isFailure(response)) {
      return { kind: 'failure', failure: response };
    }
    // A strict client (Python's json, Go's) cannot read the bytes relayed, whatever a lossy
    // decode of them parses to. Native, and cheap next to the parse.
    if (!isUtf8(response.body)) {
      return {
        kind: 'failure',
        failure: unusableAnswer(
          'upstream answered with text that is not UTF-8',
          response.statusCode,
        ),
      };
    }
    const bodyText = response.body.toString('utf8');
    // Relaying an answer that is not JSON would hand the caller a 200 it cannot read.
    const parsed = parseJsonAnswer(bodyText);
    if ('problem' in parsed) {
      return {
        kind: 'failure',
        failure: unusableAnswer(parsed.problem, response.statusCode),
      };
    }
    const { answer } = parsed;
    const items = answer[answerArray];
    let problem: string | undefined;
    if (!Array.isArray(items)) {
      problem = `upstream answered with no "${answerArray}" array`;
    } else if (answerArray === 'data') {
      problem = embeddingsProblem(items, body.input);
    } else {
      problem =
        items.length === 0
          ? 'upstream answered with no choice'
          : choicesProblem(items, 'message');
    }
    if (problem) {
      return {
        kind: 'failure',
        failure: unusableAnswer(problem, response.statusCode),
      };
    }
    return {
      kind: 'json',
      body: response.body,
      answer,
      usage: openAiUsageOf(answer.usage, answerArray === 'choices'),
      generatedText: () => text(answer),
      ...(answerArray === 'choices'
        ? { generatedChoices: () => foldChoices([], answer.choices, 'message') }
        : {}),
    };
  }

  private relayStream(
    response: UpstreamResponse,
    forwardUsage: boolean,
    signal: AbortSignal,
  ): Promise<UpstreamResult> {
    const relay = new OpenAiStreamRelay(forwardUsage);
    const watch = new EventWatch(this.http.eventTimeoutMs);
    // Comments (a proxy's keep-alive, OpenRouter's ": OPENROUTER PROCESSING") are held back
    // with the first data event: a stream that dies after comments alone has told its caller
    // nothing, and another upstream may still serve it (`startStream`).
    let beforeData: string | undefined = '';
    const withFirstData = (out: string): string => {
      if (beforeData === undefined) return out;
      beforeData += out;
      if (!hasDataLine(beforeData)) return '';
      const first = beforeData;
      beforeData = undefined;
      return first;
    };
    async function* events(): AsyncGenerator<string> {
      const decoder = new StringDecoder('utf8');
      try {
        for await (const chunk of readUntilComplete(
          response.body,
          () => relay.complete,
        )) {
          const text = decoder.write(chunk);
          const out = withFirstData(relay.push(text));
          watch.read(text);
          if (out) yield out;
          relay.throwIfBroken();
        }
      } catch (error) {
        // A connection that breaks once the answer is complete (its `[DONE]` came) takes
        // nothing from it.
        if (!signal.aborted && !relay.complete) throw error;
        return;
      }
      const rest = withFirstData(relay.push(decoder.end()) + relay.end());
      if (rest) yield rest;
    }
    return startStream(events(), signal, response.statusCode, {
      usage: () => relay.usage,
      generatedText: () => relay.generatedText(),
      generatedChoices: () => relay.generatedChoices(),
    });
  }

  private url(profile: GatewayModelProfile, path: string): string {
    const base = profile.endpoint.replace(/\/+$/, '');
    if (profile.provider === 'azure-openai') {
      return `${base}/deployments/${encodeURIComponent(
        profile.upstreamModel,
      )}/${path}?api-version=${AZURE_API_VERSION}`;
    }
    return `${base}/${path}`;
  }

  private headers({
    profile,
    traceparent,
    tracestate,
  }: ChatCall | EmbeddingsCall): Record<string, string> {
    const headers: Record<string, string> = { traceparent };
    if (tracestate) headers.tracestate = tracestate;
    const secret = upstreamSecret(profile, this.env);
    if (secret) {
      if (profile.provider === 'azure-openai') {
        headers['api-key'] = secret;
      } else {
        headers.authorization = `Bearer ${secret}`;
      }
    }
    return headers;
  }
}

/** Whether SSE text holds a data line: an event a client acts on, not a comment alone. */
function hasDataLine(text: string): boolean {
  return text.startsWith('data:') || text.includes('\ndata:');
}
