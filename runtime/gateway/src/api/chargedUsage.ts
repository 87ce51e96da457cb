import type { GatewayModelProfile } from '@cellport/plugin-platform-common';
import { promptTokensAt } from '@cellport/router';
import type { TokenUsage } from '../providers/types';
import { maxOutputTokens } from '../usage/cost';
import type { EndpointAdapter } from './EndpointAdapter';
import type { Exchange } from './Exchange';

/**
 * The tokens a request is charged at `profile`: the upstream's count, or without one the
 * prompt it `promptCounted` before answering (Anthropic's `message_start`), else its prompt's
 * bound (images and Anthropic's tool prompt at the allowance its reservation held), and the
 * tokenizer's count of the answer; either as far as the request
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
  promptCounted?: number,
): { usage: TokenUsage; counted: TokenUsage } {
  // What the request was routed with, recorded then: no second summary on every settle.
  const routing =
    exchange.life.record.routeInput ?? endpoint.routing(exchange.request);
  const promptBound = promptTokensAt(
    profile,
    routing.promptTokenBound ?? routing.estimatedInputTokens,
    routing.promptImages,
    routing.requiredCapabilities.includes('tools'),
  );
  // Without the upstream's count, the prompt pays its bound: the upstream billed it by its own
  // tokenizer, which ours undercounts for some scripts (a byte-level one counts a CJK
  // character as three). The answer pays the tokenizer's count of the text the caller read.
  const counted: TokenUsage = reported
    ? endpoint.reportedCharge?.(reported) ?? reported
    : {
        inputTokens: promptCounted ?? promptBound,
        outputTokens: endpoint.countOutput(generatedText),
      };
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
