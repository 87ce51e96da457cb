import type { GatewayModelProfile } from '@cellport/plugin-platform-common';

/**
 * The shortest credential sent upstream, and so the shortest blanked out of what an upstream
 * quotes back: a shorter one is no real key (a placeholder), and blanking out every "ab" or
 * "x" of a message would leave it unreadable.
 */
export const MIN_CREDENTIAL_LENGTH = 4;

/**
 * The credential a profile names (`credentialEnv`), without the whitespace around it: a key
 * mounted from a Secret's file often ends in a newline, which as a header value fails every
 * call, and an upstream that quotes the key back quotes it trimmed, which the redaction of
 * its message would then not find. Undefined when the variable is unset, blank or shorter
 * than MIN_CREDENTIAL_LENGTH: its profile is then not called (`UpstreamCredentials`).
 */
export function upstreamSecret(
  profile: GatewayModelProfile,
  env: NodeJS.ProcessEnv,
): string | undefined {
  if (!profile.credentialEnv) return undefined;
  const secret = env[profile.credentialEnv]?.trim();
  return secret && secret.length >= MIN_CREDENTIAL_LENGTH ? secret : undefined;
}
