import type {
  ErrorClass,
  GatewayModelProfile,
} from '@cellport/plugin-platform-common';
import type { ChatRequestSummary } from '../router/chatRequest';
import type { GeneratedChoice } from './generatedText';
import type { BufferHold } from '../http/BufferedBytes';

export interface TokenUsage {
  /** Every prompt token, cached ones included. */
  inputTokens: number;
  outputTokens: number;
  /** Of the prompt, the tokens the upstream's prompt cache served, when it said. */
  cachedInputTokens?: number;
  /** Of the output, the reasoning tokens, when the upstream said. */
  reasoningTokens?: number;
}

/** Why an upstream call failed, and whether another upstream may be tried. */
export interface UpstreamFailure {
  errorClass: ErrorClass;
  /** The upstream's HTTP status, when it answered. */
  status?: number;
  /** How long the upstream asked its callers to wait (its `Retry-After`), in seconds. */
  retryAfterSeconds?: number;
  retriable: boolean;
  /** Safe to show the caller: no credentials, no upstream URLs with secrets. */
  message: string;
  /** The request field at fault, when the gateway knows it (an invalid request). */
  param?: string;
  /**
   * The upstream did the work (it answered 200) but the answer could not be relayed (too
   * large): the request is charged what it reserved at that upstream, as it would be had the
   * answer come through.
   */
  billed?: boolean;
  /** Not worth another upstream, yet this one's fault (its answer broke off): its breaker hears it. */
  upstreamFault?: boolean;
  /** The caller left before the request was sent (queued, or still connecting): nothing is owed. */
  unsent?: boolean;
  /**
   * This profile's protocol cannot express the request (an Anthropic model and a request of
   * system messages alone): no upstream was called, another profile may still take it.
   */
  cannotServe?: boolean;
  /**
   * This gateway lacks what calling the upstream takes (its credential): a fault of its
   * configuration, which no retry outlasts, so the caller is not told to come back soon.
   */
  unconfigured?: boolean;
}

/** A streamed answer, already in OpenAI's chat.completion.chunk SSE format. */
export interface UpstreamStream {
  kind: 'stream';
  /** SSE text to write to the client, in order. */
  chunks: AsyncIterable<string>;
  /** Usage the upstream reported, known once `chunks` is drained. */
  usage(): TokenUsage | undefined;
  /**
   * Prompt tokens the upstream reported before its answer ended (Anthropic's
   * `message_start`), which a stream that never finished is charged.
   */
  promptTokens?(): number | undefined;
  /** The text generated so far, for the tokenizer when the upstream reports no usage. */
  generatedText(): string;
  /** The same output by choice, with its tool calls: what an opted-in trace records. */
  generatedChoices?(): GeneratedChoice[];
}

/** What an answer generated: its text, and by choice for traces. */
export type GeneratedOutput = Pick<
  UpstreamStream,
  'generatedText' | 'generatedChoices'
>;

export type UpstreamResult =
  | {
      kind: 'json';
      /** The answer's bytes as relayed to the caller. */
      body: Buffer;
      /** The same answer parsed, once, by the adapter that checked it. */
      answer?: Record<string, unknown>;
      usage?: TokenUsage;
      generatedText(): string;
      generatedChoices?(): GeneratedChoice[];
    }
  | UpstreamStream
  | { kind: 'failure'; failure: UpstreamFailure };

export interface ChatCall {
  profile: GatewayModelProfile;
  /** The caller's request body, OpenAI-shaped, untouched. */
  body: Record<string, unknown>;
  summary: ChatRequestSummary;
  signal: AbortSignal;
  traceparent: string;
  /** The caller's W3C `tracestate`, passed on with its trace (undefined without one). */
  tracestate?: string;
  /** The request's share of the replica's buffered bytes, which a JSON answer is read into. */
  memory?: BufferHold;
}

export interface EmbeddingsCall {
  profile: GatewayModelProfile;
  body: Record<string, unknown>;
  signal: AbortSignal;
  traceparent: string;
  /** The caller's W3C `tracestate`, passed on with its trace (undefined without one). */
  tracestate?: string;
  /** The request's share of the replica's buffered bytes, which a JSON answer is read into. */
  memory?: BufferHold;
}

/** Speaks one upstream wire protocol; the gateway speaks OpenAI's to its callers. */
export interface ProviderAdapter {
  chat(call: ChatCall): Promise<UpstreamResult>;
  embeddings(call: EmbeddingsCall): Promise<UpstreamResult>;
}
