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

/** The most a request may cost: its prompt estimate plus every output token it may produce. */
export function maxRequestCostUsd(
  profile: GatewayModelProfile,
  estimatedInputTokens: number,
  maxOutputTokens: number | undefined,
): number {
  const output = Math.min(
    maxOutputTokens ?? profile.maxOutputTokens,
    profile.maxOutputTokens,
  );
  return costUsd(profile, estimatedInputTokens, output);
}
