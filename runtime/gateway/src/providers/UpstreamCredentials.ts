import type { GatewayModelProfile } from '@cellport/plugin-platform-common';
import type { Logger } from 'pino';
import type { UpstreamResult } from './types';
import { MIN_CREDENTIAL_LENGTH, upstreamSecret } from './upstreamSecret';

/**
 * The profiles of the state in force whose credential (`credentialEnv`) this replica does not
 * have: a Deployment that leaves the variable out would otherwise call the provider with no
 * key, and every call fail with its 401 and nothing say why. Each state that names one is
 * logged at error with the variables missing; a request is not sent to such a profile (its
 * fallbacks serve it, or it is 503 without one) and its caller reads no variable name.
 */
export class UpstreamCredentials {
  private missing = new Set<string>();

  /**
   * `required` false: calls go elsewhere than the profiles' endpoints (the simulator, through
   * GATEWAY_UPSTREAM_ORIGIN_OVERRIDE), which takes them without a key.
   */
  constructor(
    private readonly logger: Logger,
    private readonly env: NodeJS.ProcessEnv = process.env,
    private readonly required = true,
  ) {}

  follow(profiles: Iterable<GatewayModelProfile>): void {
    if (!this.required) return;
    const missing = new Map<string, string[]>();
    for (const profile of profiles) {
      if (profile.credentialEnv && !upstreamSecret(profile, this.env)) {
        const named = missing.get(profile.credentialEnv) ?? [];
        named.push(profile.id);
        missing.set(profile.credentialEnv, named);
      }
    }
    this.missing = new Set([...missing.values()].flat());
    if (missing.size > 0) {
      this.logger.error(
        { missing: Object.fromEntries(missing) },
        `model profiles name credentials this gateway does not have (environment variables unset, blank or shorter than ${MIN_CREDENTIAL_LENGTH} characters): they are not called, their fallbacks serve`,
      );
    }
  }

  /** A failure for an attempt at a profile whose credential is missing; undefined when it has one. */
  refusal(profile: GatewayModelProfile): UpstreamResult | undefined {
    if (!this.missing.has(profile.id)) return undefined;
    return {
      kind: 'failure',
      failure: {
        errorClass: 'upstream-unavailable',
        retriable: true,
        // The caller is not told which variable: that is the operator's, in the log.
        message: `the upstream of model profile ${profile.id} is not configured on this gateway (an operator must set its credential)`,
        // Passed over without a call, as a profile that cannot express the request: its
        // upstream is not at fault, and its circuit must not open for it.
        cannotServe: true,
        unconfigured: true,
      },
    };
  }
}
