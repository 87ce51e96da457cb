import type { GatewayModelProfile } from '@cellport/plugin-platform-common';
import { DEFAULT_IMAGE_TOKENS, promptTokensAt } from '@cellport/router';
import type { TokenUsage } from '../providers/types';
import { maxOutputTokens } from '../usage/cost';
import type { EndpointAdapter } from './EndpointAdapter';
import type { Exchange } from './Exchange';

/**
 * The tokens a request is charged at `profile`: the upstream's count, or without one the
 * endpoint's own (the tokenizer's, plus the allowance its reservation held for images and
 * Anthropic's tool prompt, which the tokenizer cannot read); either as far as the request
 * could have used: its prompt at most the bound that holds under every tokenizer (a token a
 * byte), its answer at most what was reserved for it or, for an upstream that ignored
 * `max_tokens`, a token a byte of what it wrote. One figure out of bounds (2e9 tokens) would
 * otherwise spend a tenant's month. `counted` is the count before the bounds, and `usage`
 * the same object when they held. Translated answers report `usage` too (`Exchange.charged`),
 * so a caller reads what it paid.
 */
export function chargedUsage<Request>(
  endpoint: EndpointAdapter<Request>,
  exchange: Exchange<Request>,
  profile: GatewayModelProfile,
  reported: TokenUsage | undefined,
  generatedText: () => string,
): { usage: TokenUsage; counted: TokenUsage } {
  // What the request was routed with, recorded then: no second summary on every settle.
  const routing =
    exchange.life.record.routeInput ?? endpoint.routing(exchange.request);
  const tools = routing.requiredCapabilities.includes('tools');
  const counted = endpoint.countUsage(
    exchange.request,
    reported,
    generatedText,
  );
  if (!reported) {
    counted.inputTokens += promptTokensAt(
      profile,
      (routing.promptImages ?? 0) * DEFAULT_IMAGE_TOKENS,
      routing.promptImages,
      tools,
    );
  }
  const promptBound =
    routing.promptTokenBound === undefined
      ? Infinity
      : promptTokensAt(
          profile,
          routing.promptTokenBound,
          routing.promptImages,
          tools,
        );
  const outputCap =
    (routing.choices ?? 1) * maxOutputTokens(profile, routing.maxOutputTokens);
  if (counted.inputTokens <= promptBound && counted.outputTokens <= outputCap) {
    return { usage: counted, counted };
  }
  const outputBound = Math.max(outputCap, Buffer.byteLength(generatedText()));
  if (
    counted.inputTokens <= promptBound &&
    counted.outputTokens <= outputBound
  ) {
    // Past `max_tokens` (an upstream that ignored it), but no more than it wrote.
    return { usage: counted, counted };
  }
  const usage: TokenUsage = {
    ...counted,
    inputTokens: Math.min(counted.inputTokens, promptBound),
    outputTokens: Math.min(counted.outputTokens, outputBound),
  };
  if (usage.cachedInputTokens !== undefined) {
    usage.cachedInputTokens = Math.min(
      usage.cachedInputTokens,
      usage.inputTokens,
    );
  }
  if (usage.reasoningTokens !== undefined) {
    usage.reasoningTokens = Math.min(usage.reasoningTokens, usage.outputTokens);
  }
  return { usage, counted };
}
