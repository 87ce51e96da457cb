import { GatewayError } from '../http/GatewayError';
import type { LimitVerdict } from '../limits/Limiter';
import type { GatewayDeps } from './GatewayDeps';
import type { RequestLifecycle } from './RequestLifecycle';

/** During an outage every request fails alike: one log line per interval, with a count. */
const OUTAGE_LOG_INTERVAL_MS = 10_000;

/**
 * Per gateway (a test process runs several): when the outage was last logged, and how many
 * 503s went unlogged since.
 */
const outageLogs = new WeakMap<
  GatewayDeps,
  { loggedAtMs: number; suppressed: number }
>();

/**
 * Logs an unreachable-counters error at most once per `OUTAGE_LOG_INTERVAL_MS`; the 503s in
 * between are counted and reported with the next line (`suppressed`), so a Redis outage under
 * load logs a line every 10 s instead of one per request.
 */
function logCountersUnreachable(deps: GatewayDeps, error: unknown): void {
  const nowMs = deps.now();
  const last = outageLogs.get(deps);
  if (last && nowMs - last.loggedAtMs < OUTAGE_LOG_INTERVAL_MS) {
    last.suppressed += 1;
    return;
  }
  deps.logger.error(
    { err: error, suppressed: last?.suppressed ?? 0 },
    'rate limit and budget counters unreachable; answering 503 limits_unavailable',
  );
  outageLogs.set(deps, { loggedAtMs: nowMs, suppressed: 0 });
}

/**
 * Claims a request's tokens and maximum cost against its tenant's and agent's limits before
 * the upstream call, once per request: fallbacks and retries run inside this one reservation,
 * so their tokens are not counted again. Both are upper bounds from the route plan (the
 * prompt's token bound plus every output token of every choice, on the costliest attempt), so
 * no prompt costs more than it reserved unless the upstream ignores `max_tokens`. A refusal is
 * the caller's to answer (`limitRefusal`), or to route again within what a refusing budget had
 * left (RequestPipeline). When the counters cannot be reached (Redis down) the request is
 * refused with 503: budgets hold even then (fail closed).
 */
export function claimLimits(
  deps: GatewayDeps,
  life: RequestLifecycle,
  claimed: { maxTokens: number; maxCostUsd: number },
): Promise<LimitVerdict> {
  const { tenant, agent } = life.principal;
  return deps.limiter
    .reserve({
      tenant: tenant.id,
      agent: agent?.id,
      limits: tenant.limits,
      agentLimits: agent?.limits,
      tenantBudgetUsd: tenant.monthlyBudgetUsd,
      agentBudgetUsd: agent?.monthlyBudgetUsd,
      tokens: claimed.maxTokens,
      costUsd: claimed.maxCostUsd,
      // The request's start, as its events are stamped: a request that straddles the turn
      // of a month is charged to the month the portal counts it in.
      nowMs: life.record.startedAtMs,
    })
    .catch(error => {
      logCountersUnreachable(deps, error);
      throw new GatewayError(
        503,
        'limits_unavailable',
        'rate limits and budgets cannot be checked right now',
        'internal',
        { retryAfterSeconds: 5 },
      );
    });
}

/** A limit's refusal as the caller reads it: 429 with Retry-After, naming whose limit ran out. */
export function limitRefusal(
  verdict: Extract<LimitVerdict, { ok: false }>,
): GatewayError {
  return new GatewayError(
    429,
    verdict.reason === 'rate-limited'
      ? 'rate_limit_exceeded'
      : 'budget_exhausted',
    verdict.message,
    verdict.reason,
    { retryAfterSeconds: verdict.retryAfterSeconds },
  );
}
