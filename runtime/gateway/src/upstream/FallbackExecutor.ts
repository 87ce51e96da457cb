import type {
  FallbackAttempt,
  GatewayModelProfile,
} from '@cellport/plugin-platform-common';
import type { UpstreamAttemptOutcome } from '../metrics/UpstreamAttemptCounter';
import type { UpstreamFailure, UpstreamResult } from '../providers/types';
import { NO_PERMIT } from './CircuitBreaker';
import type { RetryBudgets } from './RetryBudgets';
import { upstreamKey } from './upstreamKey';
import type { UpstreamHealth, UpstreamStatus } from './UpstreamHealth';

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
  | {
      ok: false;
      failure: UpstreamFailure;
      fallbacks: FallbackAttempt[];
      /** The profile whose failure (or whose caller leaving) ended the request, when one did. */
      profile?: GatewayModelProfile;
    };

/**
 * Tries the router's attempts in order. A retriable failure (connect error, timeout, 429, 5xx)
 * moves on to the next attempt, and so does a profile whose protocol cannot express the
 * request (`cannotServe`, no upstream called); any other failure ends the request. Each attempt passes
 * through its upstream's circuit breaker, and one that would call an upstream this request
 * already called is a retry, allowed only while that upstream's retry budget lasts (see
 * `RetryBudget`: moving on to another upstream, or past an open circuit, is not a retry).
 */
/** Why an attempt was passed over without calling its upstream. */
export type SkipReason = 'circuit_open' | 'retry_budget_exhausted';

/** Hears how each attempt ended, once per attempt (`cellport_gateway_upstream_attempts_total`). */
export interface AttemptCounter {
  count(profileId: string, outcome: UpstreamAttemptOutcome): void;
}

const UNCOUNTED: AttemptCounter = { count: () => undefined };

export class FallbackExecutor {
  constructor(
    private readonly health: UpstreamHealth,
    private readonly retryBudgets: RetryBudgets,
    private readonly attempts: AttemptCounter = UNCOUNTED,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /**
   * `call` sends one attempt; `context` is handed to it with each profile, so that a caller
   * can pass a function it made once instead of a closure made per request. `skipped` hears
   * of each attempt passed over without a call (for its trace).
   */
  async run<Context = undefined>(
    attempts: GatewayModelProfile[],
    call: (
      profile: GatewayModelProfile,
      context: Context,
    ) => Promise<UpstreamResult>,
    context?: Context,
    skipped?: (
      profile: GatewayModelProfile,
      reason: SkipReason,
      context: Context,
    ) => void,
  ): Promise<AttemptOutcome> {
    const fallbacks: FallbackAttempt[] = [];
    // Upstreams this request has called and seen fail; allocated on the first failure only.
    let called: GatewayModelProfile[] | undefined;
    let lastFailure: UpstreamFailure = {
      errorClass: 'upstream-unavailable',
      retriable: true,
      message: 'no upstream could be tried',
    };
    // Whether an upstream was called or passed over for its health (circuit, retry budget),
    // and the first profile that could not express the request.
    let tried = false;
    // The soonest an upstream of the route asked to be called again; undefined once one that
    // failed gave no such word (it may take a retry at any time).
    let retryAfter: number | undefined = Infinity;
    let cannotServe:
      | { failure: UpstreamFailure; profile: GatewayModelProfile }
      | undefined;
    for (let i = 0; i < attempts.length; i++) {
      const profile = attempts[i];
      // The circuit first: an attempt skipped past an open one is no retry, and spends none.
      const status = this.health.get(profile.id);
      const permit = status.breaker.tryAcquire();
      if (permit === NO_PERMIT) {
        lastFailure = this.skip(
          fallbacks,
          profile,
          `circuit open for ${profile.id}`,
        );
        skipped?.(profile, 'circuit_open', context as Context);
        this.attempts.count(profile.id, 'circuit-open');
        tried = true;
        // An open circuit knows when it lets a call through again: that is its word.
        const reopen = Math.max(
          1,
          Math.ceil(status.breaker.refusesForMs() / 1000),
        );
        retryAfter =
          retryAfter === undefined ? undefined : Math.min(retryAfter, reopen);
        continue;
      }
      const budget = this.retryBudgets.of(profile);
      const retry = called?.some(
        previous => upstreamKey(previous) === upstreamKey(profile),
      );
      if (retry && !budget.tryRetry()) {
        status.breaker.onNeutral(permit);
        lastFailure = this.skip(
          fallbacks,
          profile,
          `retry budget exhausted for ${profile.id}`,
        );
        skipped?.(profile, 'retry_budget_exhausted', context as Context);
        this.attempts.count(profile.id, 'retry-budget-exhausted');
        tried = true;
        retryAfter = undefined;
        continue;
      }
      status.inFlight += 1;
      const dispatchedAt = this.now();
      let result: UpstreamResult;
      try {
        result = await call(profile, context as Context);
      } catch (error) {
        // The call never reached a verdict on the upstream (an adapter that threw on a body it
        // could not send): the probe slot and the in-flight count must come back all the same.
        status.inFlight -= 1;
        status.breaker.onNeutral(permit);
        this.attempts.count(profile.id, 'internal');
        throw error;
      }
      // A call that reached the upstream earns it a share of a retry; a profile that could not
      // express the request called nothing.
      if (
        !retry &&
        !(result.kind === 'failure' && result.failure.cannotServe)
      ) {
        budget.onRequest();
      }
      if (result.kind !== 'failure') {
        this.health.recordLatency(profile.id, this.now() - dispatchedAt);
        this.attempts.count(profile.id, 'success');
        return {
          ok: true,
          profile,
          answer: result,
          fallbacks,
          dispatchedAt,
          finish: finisher(status, permit),
        };
      }
      status.inFlight -= 1;
      const failure = result.failure;
      if (failure.cannotServe) {
        // Passed over, as a profile the router would have left out: its upstream never saw
        // the request. Its refusal is the answer only when no upstream could be tried at all.
        status.breaker.onNeutral(permit);
        this.attempts.count(profile.id, 'cannot-serve');
        fallbacks.push({
          modelProfile: profile.id,
          errorClass: failure.errorClass,
          latencyMs: 0,
        });
        cannotServe ??= { failure, profile };
        continue;
      }
      tried = true;
      this.attempts.count(profile.id, failure.errorClass);
      if (failure.errorClass === 'client-cancelled') {
        status.breaker.onNeutral(permit);
        // The upstream had the request: the pipeline charges for it.
        return { ok: false, failure, fallbacks, profile };
      }
      if (failure.retriable || failure.upstreamFault) {
        status.breaker.onFailure(permit, askedToWait(failure));
      } else {
        status.breaker.onNeutral(permit);
      }
      fallbacks.push({
        modelProfile: profile.id,
        errorClass: failure.errorClass,
        ...(failure.status !== undefined ? { status: failure.status } : {}),
        latencyMs: Math.round((this.now() - dispatchedAt) * 1000) / 1000,
      });
      if (!failure.retriable) {
        return { ok: false, failure, fallbacks, profile };
      }
      lastFailure = failure;
      retryAfter =
        failure.retryAfterSeconds === undefined || retryAfter === undefined
          ? undefined
          : Math.min(retryAfter, failure.retryAfterSeconds);
      (called ??= []).push(profile);
    }
    if (cannotServe && !tried) return { ok: false, ...cannotServe, fallbacks };
    if (retryAfter !== undefined && retryAfter !== Infinity) {
      // Every route asked for time: the caller is told the soonest any will serve.
      lastFailure = { ...lastFailure, retryAfterSeconds: retryAfter };
    }
    return { ok: false, failure: lastFailure, fallbacks };
  }

  /** Records an attempt that was passed over without calling its upstream. */
  private skip(
    fallbacks: FallbackAttempt[],
    profile: GatewayModelProfile,
    message: string,
  ): UpstreamFailure {
    fallbacks.push({
      modelProfile: profile.id,
      errorClass: 'upstream-unavailable',
      latencyMs: 0,
    });
    return { errorClass: 'upstream-unavailable', retriable: true, message };
  }
}

/**
 * How long a refusal asked its upstream's callers to wait, for its breaker: only a 429 or a
 * 503 (Anthropic's 529) says the upstream cannot take calls for a while; a `Retry-After` on a
 * 500 or a 404 says nothing of the kind.
 */
function askedToWait(failure: UpstreamFailure): number | undefined {
  const { status } = failure;
  return status === 429 || status === 503 || status === 529
    ? failure.retryAfterSeconds
    : undefined;
}

/** The answer's `finish`: reports to the breaker once, however often it is called. */
function finisher(
  status: UpstreamStatus,
  permit: number,
): (result: 'success' | 'failure' | 'neutral') => void {
  let finished = false;
  return outcome => {
    if (finished) return;
    finished = true;
    status.inFlight -= 1;
    if (outcome === 'success') status.breaker.onSuccess(permit);
    else if (outcome === 'failure') status.breaker.onFailure(permit);
    else status.breaker.onNeutral(permit);
  };
}
