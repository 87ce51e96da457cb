import type { GatewayModelProfile } from '@cellport/plugin-platform-common';
import type { RouteInput } from './decideRoute';

/** Cost in US dollars of a request's tokens at the profile's prices. */
export function costUsd(
  profile: GatewayModelProfile,
  inputTokens: number,
  outputTokens: number,
): number {
  return (
    (inputTokens * profile.inputPerMillionUsd +
      outputTokens * profile.outputPerMillionUsd) /
    1e6
  );
}

/**
 * Tokens allowed for each image of a prompt, in place of its URL's bytes: it covers the most a
 * full-size image counts at OpenAI (gpt-4o high detail: 1,445; gpt-4.1 / o4-mini patches:
 * under 2,700) and Anthropic (about 1,600). A profile whose images count more (gpt-4o-mini)
 * says so in `imageTokens`.
 */
export const DEFAULT_IMAGE_TOKENS = 3_000;

/**
 * Tokens Anthropic adds to a prompt that offers tools: the system prompt of its tool use, which
 * is not in the request body and so not in its bound. Its pricing page lists 159 to 530 by model
 * and tool choice (530: Claude 3 Opus, `auto`); the largest is reserved for every model.
 */
export const ANTHROPIC_TOOL_PROMPT_TOKENS = 530;

/**
 * The most tokens a prompt can count at this profile: its bound (each image at the default
 * allowance) plus what each image counts beyond the allowance here, and the tool-use prompt an
 * Anthropic profile adds when the request offers `tools`.
 */
export function promptTokensAt(
  profile: GatewayModelProfile,
  promptTokenBound: number,
  images = 0,
  tools = false,
): number {
  const extra = (profile.imageTokens ?? 0) - DEFAULT_IMAGE_TOKENS;
  const bound =
    extra > 0 ? promptTokenBound + images * extra : promptTokenBound;
  return tools && profile.provider === 'anthropic'
    ? bound + ANTHROPIC_TOOL_PROMPT_TOKENS
    : bound;
}

/** The most output tokens one completion may produce: `max_tokens`, capped by the profile's. */
export function maxOutputTokens(
  profile: GatewayModelProfile,
  requested: number | undefined,
): number {
  return Math.min(
    requested ?? profile.maxOutputTokens,
    profile.maxOutputTokens,
  );
}

/**
 * The most a request may cost: its prompt's token bound plus every output token each of its
 * `choices` completions may produce.
 */
export function maxRequestCostUsd(
  profile: GatewayModelProfile,
  inputTokens: number,
  requestedOutputTokens: number | undefined,
  choices = 1,
): number {
  return costUsd(
    profile,
    inputTokens,
    choices * maxOutputTokens(profile, requestedOutputTokens),
  );
}

/** Seconds until a monthly budget starts again: the first of the next month, UTC. */
export function secondsToNextMonth(nowMs: number): number {
  const now = new Date(nowMs);
  const next = Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1);
  return Math.max(1, Math.ceil((next - nowMs) / 1000));
}

/** When a refusal by a budget that requests in flight hold part of may be tried again (s). */
export const BUDGET_RECHECK_SECONDS = 60;

/**
 * When a request the budget left refused may be tried again: next month, unless requests in
 * flight hold part of it; they give back most of their reservation when they settle, in
 * seconds, and a month would be a false answer. A budget with a little left and nothing in
 * flight (a budget is rarely spent to the cent) is spent for this request: next month.
 */
export function budgetRetryAfterSeconds(
  heldInFlight: boolean,
  nowMs: number,
): number {
  const nextMonth = secondsToNextMonth(nowMs);
  return heldInFlight ? Math.min(BUDGET_RECHECK_SECONDS, nextMonth) : nextMonth;
}

/** The most the request may cost at a profile: what budgets are checked and reserved with. */
export function maxCostAt(
  input: RouteInput,
  profile: GatewayModelProfile,
): number {
  return maxRequestCostUsd(
    profile,
    promptTokensAt(
      profile,
      input.promptTokenBound ?? input.estimatedInputTokens,
      input.promptImages,
      input.requiredCapabilities.includes('tools'),
    ),
    input.maxOutputTokens,
    input.choices,
  );
}
