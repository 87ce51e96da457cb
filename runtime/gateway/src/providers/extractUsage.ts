import type { TokenUsage } from './types';

/** A token count as an upstream may report one: a non-negative safe integer. */
function isTokenCount(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

/**
 * Usage from an upstream's input and output counts, trusted only when both are counts (an
 * absent output count is 0, as embeddings report none). A negative, fractional or
 * non-numeric figure, from a buggy or hostile upstream, would credit a budget or turn a
 * counter into NaN: the request is then charged by the tokenizer, as when no usage came.
 */
export function usageOf(
  input: unknown,
  output: unknown,
): TokenUsage | undefined {
  if (!isTokenCount(input)) return undefined;
  if (output === undefined || output === null) {
    return { inputTokens: input, outputTokens: 0 };
  }
  return isTokenCount(output)
    ? { inputTokens: input, outputTokens: output }
    : undefined;
}

/** The usage of a parsed OpenAI answer (its `usage` object), if it has one. */
export function openAiUsageOf(usage: unknown): TokenUsage | undefined {
  const fields = usage as
    | { prompt_tokens?: unknown; completion_tokens?: unknown }
    | null
    | undefined;
  return usageOf(fields?.prompt_tokens, fields?.completion_tokens);
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
