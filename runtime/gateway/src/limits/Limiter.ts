import type { RateLimits } from '@cellport/plugin-platform-common';

/** One request's claim on its tenant's (and agent's) rate limits and budgets. */
export interface LimitRequest {
  tenant: string;
  agent?: string;
  limits: RateLimits;
  tenantBudgetUsd: number;
  agentBudgetUsd?: number;
  /** Tokens to count against tokens/min: prompt estimate plus requested output. */
  tokens: number;
  /** The most the request may cost; settled to the actual cost afterwards. */
  costUsd: number;
  nowMs: number;
}

/** A granted claim; settle or release it exactly once. */
export interface Reservation {
  tenant: string;
  agent?: string;
  minute: number;
  month: string;
  tokens: number;
  costNanoUsd: number;
  /** The tenant's budget left after this reservation. */
  remainingUsd: number;
}

export type LimitVerdict =
  | { ok: true; reservation: Reservation }
  | {
      ok: false;
      reason: 'rate-limited' | 'budget-exhausted';
      retryAfterSeconds: number;
      message: string;
    };

/**
 * Rate limits (requests and tokens per fixed minute window) and monthly budgets, per tenant
 * and per agent. A request reserves its maximum before the upstream call, settles the actual
 * after it, or releases the reservation when it failed. Implementations must check and reserve
 * atomically, so concurrent requests cannot all pass the same check.
 */
export interface Limiter {
  reserve(request: LimitRequest): Promise<LimitVerdict>;
  settle(
    reservation: Reservation,
    actual: { tokens: number; costUsd: number },
  ): Promise<void>;
  release(reservation: Reservation): Promise<void>;
  /** What the tenant had spent this month when last seen by this replica (router's budget check). */
  spentUsdHint(tenant: string, nowMs: number): number | undefined;
  close(): Promise<void>;
}

export const NANO = 1e9;

export function toNano(usd: number): number {
  return Math.ceil(usd * NANO);
}

export function minuteOf(nowMs: number): number {
  return Math.floor(nowMs / 60_000);
}

let cachedMinute = -1;
let cachedMonth = '';

/** The UTC month (`2026-11`) of a time; worked out once a minute, it is read on every request. */
export function monthOf(nowMs: number): string {
  const minute = minuteOf(nowMs);
  if (minute !== cachedMinute) {
    cachedMinute = minute;
    cachedMonth = new Date(nowMs).toISOString().slice(0, 7);
  }
  return cachedMonth;
}

export function secondsToNextMinute(nowMs: number): number {
  return Math.max(
    1,
    Math.ceil(((minuteOf(nowMs) + 1) * 60_000 - nowMs) / 1000),
  );
}

export function secondsToNextMonth(nowMs: number): number {
  const now = new Date(nowMs);
  const next = Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1);
  return Math.max(1, Math.ceil((next - nowMs) / 1000));
}

/** Counter keys; `{tenant}` is a Redis Cluster hash tag, keeping one tenant's keys in one slot. */
export function limitKeys(
  tenant: string,
  agent: string | undefined,
  minute: number,
  month: string,
) {
  const prefix = `cellport:{${tenant}}`;
  return {
    requests: `${prefix}:rpm:${minute}`,
    tokens: `${prefix}:tpm:${minute}`,
    tenantBudget: `${prefix}:budget:${month}`,
    agentBudget: `${prefix}:agent:${agent ?? '-'}:budget:${month}`,
  };
}

/** Builds the rejection for a failed check. */
export function rejection(
  check: 'requests' | 'tokens' | 'tenant-budget' | 'agent-budget',
  request: LimitRequest,
): LimitVerdict {
  switch (check) {
    case 'requests':
      return {
        ok: false,
        reason: 'rate-limited',
        retryAfterSeconds: secondsToNextMinute(request.nowMs),
        message: `tenant ${request.tenant} exceeded ${request.limits.requestsPerMinute} requests per minute`,
      };
    case 'tokens':
      return {
        ok: false,
        reason: 'rate-limited',
        retryAfterSeconds: secondsToNextMinute(request.nowMs),
        message: `tenant ${request.tenant} exceeded ${request.limits.tokensPerMinute} tokens per minute`,
      };
    case 'tenant-budget':
      return {
        ok: false,
        reason: 'budget-exhausted',
        retryAfterSeconds: secondsToNextMonth(request.nowMs),
        message: `tenant ${request.tenant}'s monthly budget of $${request.tenantBudgetUsd} is exhausted`,
      };
    default:
      return {
        ok: false,
        reason: 'budget-exhausted',
        retryAfterSeconds: secondsToNextMonth(request.nowMs),
        message: `agent ${request.agent}'s monthly budget of $${request.agentBudgetUsd} is exhausted`,
      };
  }
}
