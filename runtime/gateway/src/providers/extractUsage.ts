import type { TokenUsage } from './types';

/**
 * A token count as an upstream may report one: a non-negative integer below 2^31, what the
 * portal's event contract holds (no request comes near it).
 */
function isTokenCount(value: unknown): value is number {
  return (
    Number.isInteger(value) &&
    (value as number) >= 0 &&
    (value as number) <= 2_147_483_647
  );
}

/**
 * Usage from an upstream's input and output counts, trusted only when both are counts. A
 * missing, negative, fractional or non-numeric figure, from a buggy or hostile upstream, would
 * leave output unpaid, credit a budget or turn a counter into NaN: the request is then charged
 * by the tokenizer, as when no usage came.
 */
export function usageOf(
  input: unknown,
  output: unknown,
): TokenUsage | undefined {
  return isTokenCount(input) && isTokenCount(output)
    ? { inputTokens: input, outputTokens: output }
    : undefined;
}

type OpenAiUsage = {
  prompt_tokens?: unknown;
  completion_tokens?: unknown;
  prompt_tokens_details?: { cached_tokens?: unknown } | null;
  completion_tokens_details?: { reasoning_tokens?: unknown } | null;
};

/**
 * The usage of a parsed OpenAI answer (its `usage` object), if it has one, with the cached
 * prompt and reasoning tokens it details (a detail that is not a count within its total is
 * left out). `generates` is false for an API that produces no tokens (embeddings), whose
 * usage has no completion count.
 */
export function openAiUsageOf(
  usage: unknown,
  generates = true,
): TokenUsage | undefined {
  const fields = usage as OpenAiUsage | null | undefined;
  const counted = usageOf(
    fields?.prompt_tokens,
    generates ? fields?.completion_tokens : 0,
  );
  if (!counted) return undefined;
  const cached = fields?.prompt_tokens_details?.cached_tokens;
  if (isTokenCount(cached) && cached > 0 && cached <= counted.inputTokens) {
    counted.cachedInputTokens = cached;
  }
  const reasoning = fields?.completion_tokens_details?.reasoning_tokens;
  if (
    isTokenCount(reasoning) &&
    reasoning > 0 &&
    reasoning <= counted.outputTokens
  ) {
    counted.reasoningTokens = reasoning;
  }
  return counted;
}

/**
 * Finds the `usage` object of an OpenAI response body without parsing the whole body: the
 * object sits at the end, so a backwards search and a brace match is enough.
 */
export function extractOpenAiUsage(body: string): TokenUsage | undefined {
  const key = body.lastIndexOf('"usage"');
  if (key < 0) {
    return undefined;
  }
  const start = body.indexOf('{', key);
  if (start < 0 || body.slice(key + 7, start).trim() !== ':') {
    return undefined;
  }
  let depth = 0;
  for (let i = start; i < body.length; i++) {
    const char = body.charCodeAt(i);
    if (char === 123) depth++;
    else if (char === 125 && --depth === 0) {
      try {
        return openAiUsageOf(JSON.parse(body.slice(start, i + 1)));
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}
