import type { GatewayModelProfile } from '@cellport/plugin-platform-common';
import type { RequestFields } from '@cellport/router';
import type { RequestRecord } from '../events/RequestRecord';
import { promptTokenBound } from '../limits/promptTokenBound';
import type {
  TokenUsage,
  UpstreamFailure,
  UpstreamResult,
} from '../providers/types';
import type { EndpointAdapter, RoutingSummary } from './EndpointAdapter';
import { embeddingsInput } from './embeddingsRequest';
import type { Exchange } from './Exchange';
import type { GatewayDeps } from './GatewayDeps';

// Embeddings produce no tokens (`maxOutputTokens` 0): a context refusal blames the input.
const EMBEDDINGS_FIELDS: RequestFields = {
  prompt: 'input',
  maxOutputTokens: 'input',
};

/** What the pipeline needs of an embeddings body once it is checked. */
export interface EmbeddingsRequest {
  model: string;
  estimatedInputTokens: number;
  promptTokenBound: number;
}

/**
 * `POST /v1/embeddings`: OpenAI embeddings bodies, answered as JSON only, never cached; input
 * tokens only. The router does not weigh the remaining budget for them (the reservation
 * still holds the budget).
 */
export class EmbeddingsEndpoint implements EndpointAdapter<EmbeddingsRequest> {
  readonly api = 'embeddings';
  readonly failureLog: string = 'embeddings request failed unexpectedly';
  readonly operation = 'embeddings' as const;
  readonly routesWithinRemainingBudget: boolean = false;
  readonly streamedAnswerFailure: UpstreamFailure = {
    errorClass: 'upstream-error',
    retriable: false,
    message: 'upstream streamed an embeddings answer',
  };

  constructor(private readonly deps: GatewayDeps) {}

  parse(
    body: Record<string, unknown>,
    raw: Buffer,
    record: RequestRecord,
  ): EmbeddingsRequest {
    const { texts, tokenIds, tokenInputs } = embeddingsInput(body);
    let chars = 0;
    for (const text of texts) chars += text.length;
    // Token ids are counted (their digits say nothing of their number), bounded with two a
    // input for the special tokens an upstream's tokenizer may add (BOS, EOS); texts are
    // estimated, and bounded by the body's bytes.
    const estimatedInputTokens =
      texts.length > 0 ? Math.ceil(chars / 4) + texts.length : tokenIds;
    record.estimatedInputTokens = estimatedInputTokens;
    return {
      model: body.model as string,
      estimatedInputTokens,
      promptTokenBound:
        texts.length > 0 ? promptTokenBound(raw) : tokenIds + 2 * tokenInputs,
    };
  }

  routing(request: EmbeddingsRequest): RoutingSummary {
    // The same fields, in the same order, as chat's: one object shape for the router.
    return {
      modelType: 'embeddings',
      requestedModel: request.model,
      requiredCapabilities: [],
      estimatedInputTokens: request.estimatedInputTokens,
      promptTokenBound: request.promptTokenBound,
      promptImages: undefined,
      maxOutputTokens: 0,
      choices: undefined,
      complexity: 0,
      fields: EMBEDDINGS_FIELDS,
    };
  }

  cacheable(): boolean {
    return false;
  }

  send(
    profile: GatewayModelProfile,
    exchange: Exchange<EmbeddingsRequest>,
  ): Promise<UpstreamResult> {
    const { life } = exchange;
    return this.deps.adapters[profile.provider].embeddings({
      profile,
      body: exchange.body,
      signal: life.abort.signal,
      traceparent: life.traceparent,
      memory: life.res.memory,
      tracestate: life.tracestate,
    });
  }

  /** Embeddings produce no output tokens, whatever an upstream reports. */
  countOutput(): number {
    return 0;
  }

  reportedCharge(reported: TokenUsage): TokenUsage {
    return reported.outputTokens === 0
      ? reported
      : { inputTokens: reported.inputTokens, outputTokens: 0 };
  }
}
