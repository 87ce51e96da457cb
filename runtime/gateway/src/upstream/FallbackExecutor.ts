import type {
  FallbackAttempt,
  GatewayModelProfile,
} from '@cellport/plugin-platform-common';
import type { UpstreamFailure, UpstreamResult } from '../providers/types';
import type { RetryBudget } from './RetryBudget';
import type { UpstreamHealth } from './UpstreamHealth';

type Answer = Exclude<UpstreamResult, { kind: 'failure' }>;

export type AttemptOutcome =
  | {
      ok: true;
      profile: GatewayModelProfile;
      answer: Answer;
      fallbacks: FallbackAttempt[];
      /** performance.now() when the winning attempt was dispatched. */
      dispatchedAt: number;
      /** Reports how the answer ended, for the breaker and the in-flight count. */
      finish(result: 'success' | 'failure' | 'neutral'): void;
    }
  | { ok: false; failure: UpstreamFailure; fallbacks: FallbackAttempt[] };

/**
 * Tries the router's attempts in order. A retriable failure (connect error, timeout, 429, 5xx)
 * moves on to the next, while the gateway-wide retry budget allows; any other failure ends
 * the request. Each attempt passes through its upstream's circuit breaker.
 */
export class FallbackExecutor {
  constructor(
    private readonly health: UpstreamHealth,
    private readonly retryBudget: RetryBudget,
    private readonly now: () => number = () => performance.now(),
  ) {}

  async run(
    attempts: GatewayModelProfile[],
    call: (profile: GatewayModelProfile) => Promise<UpstreamResult>,
  ): Promise<AttemptOutcome> {
    this.retryBudget.onRequest();
    const fallbacks: FallbackAttempt[] = [];
    let lastFailure: UpstreamFailure = {
      errorClass: 'upstream-unavailable',
      retriable: true,
      message: 'no upstream could be tried',
    };
    for (let i = 0; i < attempts.length; i++) {
      const profile = attempts[i];
      if (i > 0 && !this.retryBudget.tryRetry()) {
        break;
      }
      const status = this.health.get(profile.id);
      if (!status.breaker.tryAcquire()) {
        lastFailure = {
          errorClass: 'upstream-unavailable',
          retriable: true,
          message: `circuit open for ${profile.id}`,
        };
        fallbacks.push({
          modelProfile: profile.id,
          errorClass: 'upstream-unavailable',
          latencyMs: 0,
        });
        continue;
      }
      status.inFlight += 1;
      const dispatchedAt = this.now();
      const result = await call(profile);
      if (result.kind !== 'failure') {
        this.health.recordLatency(profile.id, this.now() - dispatchedAt);
        let finished = false;
        return {
          ok: true,
          profile,
          answer: result,
          fallbacks,
          dispatchedAt,
          finish: outcome => {
            if (finished) return;
            finished = true;
            status.inFlight -= 1;
            if (outcome === 'success') status.breaker.onSuccess();
            else if (outcome === 'failure') status.breaker.onFailure();
            else status.breaker.onNeutral();
          },
        };
      }
      status.inFlight -= 1;
      const failure = result.failure;
      if (failure.errorClass === 'client-cancelled') {
        status.breaker.onNeutral();
        return { ok: false, failure, fallbacks };
      }
      if (failure.retriable) {
        status.breaker.onFailure();
      } else {
        status.breaker.onNeutral();
      }
      fallbacks.push({
        modelProfile: profile.id,
        errorClass: failure.errorClass,
        ...(failure.status !== undefined ? { status: failure.status } : {}),
        latencyMs: Math.round((this.now() - dispatchedAt) * 1000) / 1000,
      });
      if (!failure.retriable) {
        return { ok: false, failure, fallbacks };
      }
      lastFailure = failure;
    }
    return { ok: false, failure: lastFailure, fallbacks };
  }
}
