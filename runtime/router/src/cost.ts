import type { GatewayModelProfile } from '@cellport/plugin-platform-common';

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
