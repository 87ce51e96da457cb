import { GatewayError } from '../http/GatewayError';
import type { Reservation } from '../limits/Limiter';
import type { GatewayDeps } from './GatewayDeps';
import type { RequestLifecycle } from './RequestLifecycle';

/**
 * Reserves a request's tokens and maximum cost against its tenant's and agent's limits before
 * the upstream call, once per request: fallbacks and retries run inside this one reservation,
 * so their tokens are not counted again. Over a limit is 429 with Retry-After, the message
 * naming whose limit ran out. When the counters cannot be reached
 * (Redis down) the request is refused with 503: budgets hold even then (fail closed).
 */
export async function reserveLimits(
  deps: GatewayDeps,
  life: RequestLifecycle,
  claim: { tokens: number; costUsd: number },
): Promise<Reservation> {
  const { tenant, agent } = life.principal;
  let verdict;
  try {
    verdict = await deps.limiter.reserve({
      tenant: tenant.id,
      agent: agent?.id,
      limits: tenant.limits,
      agentLimits: agent?.limits,
      tenantBudgetUsd: tenant.monthlyBudgetUsd,
      agentBudgetUsd: agent?.monthlyBudgetUsd,
      tokens: claim.tokens,
      costUsd: claim.costUsd,
      nowMs: deps.now(),
    });
  } catch (error) {
    deps.logger.error(
      { err: error },
      'rate limit and budget counters unreachable',
    );
    throw new GatewayError(
      503,
      'limits_unavailable',
      'rate limits and budgets cannot be checked right now',
      'internal',
      { retryAfterSeconds: 5 },
    );
  }
  if (!verdict.ok) {
    throw new GatewayError(
      429,
      verdict.reason === 'rate-limited'
        ? 'rate_limit_exceeded'
        : 'budget_exhausted',
      verdict.message,
      verdict.reason,
      { retryAfterSeconds: verdict.retryAfterSeconds },
    );
  }
  return verdict.reservation;
}
