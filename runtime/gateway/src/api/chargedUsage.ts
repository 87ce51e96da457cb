import type { GatewayModelProfile } from '@cellport/plugin-platform-common';
import { promptTokensAt } from '@cellport/router';
import type { TokenUsage } from '../providers/types';
import { maxOutputTokens } from '../usage/cost';
import type { EndpointAdapter } from './EndpointAdapter';
import type { Exchange } from './Exchange';

/**
 * How far over the output bound our tokenizer's count of an answer may go (no usage reported)
 * before the upstream is taken to have ignored `max_tokens`: o200k counts a word of another
 * vocabulary in up to three or four tokens, never a long answer in several times its own.
 */
const UNSURE_COUNT_RATIO = 4;

/**
 * The tokens a request is charged at `profile`: the upstream's count, or without one the
 * prompt it `promptCounted` before answering (Anthropic's `message_start`), else its prompt's
 * bound (images and Anthropic's tool prompt at the allowance its reservation held), and the
 * tokenizer's count of the answer; either as far as the request
 * could have used: its prompt at most the bound that holds under every tokenizer (a token a
 * byte), its answer at most what was reserved for it or, for an upstream that ignored
 * `max_tokens` (its count says so, or ours, past UNSURE_COUNT_RATIO times the bound), a token
 * a byte of what it wrote. One figure out of bounds (2e9 tokens) would
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
  const choices = routing.choices ?? 1;
  const outputCap = choices * maxOutputTokens(profile, routing.maxOutputTokens);
  if (counted.inputTokens <= promptBound && counted.outputTokens <= outputCap) {
    return { usage: counted, counted };
  }
  if (
    !reported &&
    counted.inputTokens <= promptBound &&
    counted.outputTokens <= UNSURE_COUNT_RATIO * outputCap + choices - 1
  ) {
    // Our tokenizer's count over the bound the upstream was sent says little: its own
    // vocabulary may take a word in one token that o200k takes in three, and the line between
    // choices is counted too. An upstream that kept to `max_tokens` costs what was reserved,
    // and no more: concurrent requests must not overspend on a count that is ours alone.
    return { usage: { ...counted, outputTokens: outputCap }, counted };
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
