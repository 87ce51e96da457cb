import type { TokenUsage } from './types';

/** The usage of a parsed OpenAI answer (its `usage` object), if it has one. */
export function openAiUsageOf(usage: unknown): TokenUsage | undefined {
  const fields = usage as
    | { prompt_tokens?: unknown; completion_tokens?: unknown }
    | null
    | undefined;
  if (typeof fields?.prompt_tokens !== 'number') {
    return undefined;
  }
  return {
    inputTokens: fields.prompt_tokens,
    outputTokens:
      typeof fields.completion_tokens === 'number'
        ? fields.completion_tokens
        : 0,
  };
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
        const usage = JSON.parse(body.slice(start, i + 1));
        if (typeof usage.prompt_tokens === 'number') {
          return {
            inputTokens: usage.prompt_tokens,
            outputTokens: usage.completion_tokens ?? 0,
          };
        }
      } catch {
        return undefined;
      }
      return undefined;
    }
  }
  return undefined;
}
