import type { GatewayModelProfile } from '@cellport/plugin-platform-common';

/**
 * The credential a profile names (`credentialEnv`), without the whitespace around it: a key
 * mounted from a Secret's file often ends in a newline, which as a header value fails every
 * call, and an upstream that quotes the key back quotes it trimmed, which the redaction of
 * its message would then not find. Undefined when the variable is unset or blank.
 */
export function upstreamSecret(
  profile: GatewayModelProfile,
  env: NodeJS.ProcessEnv,
): string | undefined {
  if (!profile.credentialEnv) return undefined;
  return env[profile.credentialEnv]?.trim() || undefined;
}
