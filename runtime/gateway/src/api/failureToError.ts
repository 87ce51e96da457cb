import { GatewayError } from '../http/GatewayError';
import type { UpstreamFailure } from '../providers/types';

/** The caller's answer when every attempt failed: 502, 503 or 504 by the last failure. */
export function failureToError(failure: UpstreamFailure): GatewayError {
  switch (failure.errorClass) {
    case 'client-cancelled':
      return new GatewayError(
        499,
        'client_cancelled',
        failure.message,
        'client-cancelled',
      );
    case 'invalid-request':
      return GatewayError.invalid(failure.message, failure.param);
    case 'internal':
      // The only failure of the gateway's own an attempt has: no room to read the answer.
      return GatewayError.overloaded('its answer');
    case 'upstream-timeout':
      return new GatewayError(
        504,
        'upstream_timeout',
        `${failure.message}; no fallback succeeded`,
        'upstream-timeout',
      );
    case 'upstream-unavailable':
    case 'rate-limited':
      if (failure.unconfigured) {
        // No Retry-After: a missing credential stays missing until an operator sets it.
        return new GatewayError(
          503,
          'upstream_not_configured',
          failure.message,
          'upstream-unavailable',
        );
      }
      return new GatewayError(
        503,
        'upstream_unavailable',
        `${failure.message}; no fallback succeeded`,
        'upstream-unavailable',
        { retryAfterSeconds: failure.retryAfterSeconds ?? 5 },
      );
    default:
      return new GatewayError(
        502,
        'upstream_error',
        `${failure.message}; no fallback succeeded`,
        'upstream-error',
      );
  }
}
