import type { GatewayModelProfile } from '@cellport/plugin-platform-common';
import type { RequestRecord } from '../events/RequestRecord';
import type { UpstreamResult } from '../providers/types';
import {
  ChatRequestSummary,
  summarizeChatRequest,
} from '../router/chatRequest';
import type { EndpointAdapter, RoutingSummary } from './EndpointAdapter';
import type { Exchange } from './Exchange';
import type { GatewayDeps } from './GatewayDeps';

/**
 * `POST /v1/chat/completions`: OpenAI chat bodies, answered as JSON or SSE; non-streamed
 * answers may be cached.
 */
export class ChatEndpoint implements EndpointAdapter<ChatRequestSummary> {
  readonly api = 'chat';
  readonly failureLog: string = 'chat completion failed unexpectedly';
  readonly routesWithinRemainingBudget: boolean = true;

  constructor(private readonly deps: GatewayDeps) {}

  parse(
    body: Record<string, unknown>,
    raw: Buffer,
    record: RequestRecord,
  ): ChatRequestSummary {
    const summary = summarizeChatRequest(body, raw);
    record.stream = summary.stream;
    record.complexityScore = summary.complexity;
    record.estimatedInputTokens = summary.estimatedInputTokens;
    record.requiredCapabilities = summary.requiredCapabilities;
    return summary;
  }

  /** `fields`: how the caller's API names the prompt and the output limit (a translated API's). */
  routing(
    summary: ChatRequestSummary,
    fields = summary.fields,
  ): RoutingSummary {
    return {
      modelType: 'chat',
      requestedModel: summary.model,
      requiredCapabilities: summary.requiredCapabilities,
      estimatedInputTokens: summary.estimatedInputTokens,
      promptTokenBound: summary.promptTokenBound,
      promptImages: summary.promptImages,
      maxOutputTokens: summary.maxTokens,
      choices: summary.choices,
      complexity: summary.complexity,
      fields,
    };
  }

  cacheable(summary: ChatRequestSummary): boolean {
    return !summary.stream;
  }

  send(
    profile: GatewayModelProfile,
    exchange: Exchange<ChatRequestSummary>,
  ): Promise<UpstreamResult> {
    const { life } = exchange;
    return this.deps.adapters[profile.provider].chat({
      profile,
      body: exchange.body,
      summary: exchange.request,
      signal: life.abort.signal,
      traceparent: life.traceparent,
      memory: life.res.memory,
      tracestate: life.tracestate,
    });
  }

  countOutput(generated: () => string): number {
    return this.deps.tokens.count(generated());
  }
}
