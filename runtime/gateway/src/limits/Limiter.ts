import type { RateLimits } from '@cellport/plugin-platform-common';
import { budgetRetryAfterSeconds } from '@cellport/router';

/** One request's claim on its tenant's (and agent's) rate limits and budgets. */
export interface LimitRequest {
  tenant: string;
  /** The agent the request is made for (its key is bound to it); its own limits apply too. */
  agent?: string;
  limits: RateLimits;
  /** The agent's own requests and tokens per minute, checked beside the tenant's. */
  agentLimits?: RateLimits;
  tenantBudgetUsd: number;
  agentBudgetUsd?: number;
  /** Tokens to count against tokens/min: prompt estimate plus requested output. */
  tokens: number;
  /** The most the request may cost; settled to the actual cost afterwards. */
  costUsd: number;
  nowMs: number;
}

/**
 * A granted claim; settle or release it exactly once. It names the counters it went into, so
 * settling corrects exactly those (a request's tokens count once in each window it claimed,
 * whatever fallbacks it went through).
 */
export interface Reservation {
  /**
   * Names the reservation in the counter store while it is open: settling closes it, and a
   * store that lost it (Redis restored from a snapshot older than the reservation) is charged
   * the actual usage instead of being refunded what it no longer holds.
   */
  id: string;
  tenant: string;
  month: string;
  tokens: number;
  costNanoUsd: number;
  /** The tenant's budget left after this reservation. */
  remainingUsd: number;
  /** Tokens-per-minute counters holding `tokens`: the tenant's, and its agent's. */
  tokenCounters: readonly string[];
  /** Budget counters holding `costNanoUsd`: the tenant's, and its agent's. */
  costCounters: readonly string[];
}

export type LimitVerdict =
  | { ok: true; reservation: Reservation }
  | {
      ok: false;
      reason: 'rate-limited' | 'budget-exhausted';
      retryAfterSeconds: number;
      message: string;
      /**
       * A refusing budget's: what it had left (reservations in flight counted), so that the
       * request can be routed again to the profiles it still covers.
       */
      budgetLeft?: BudgetLeft;
    };

/**
 * What a budget had left when it refused a request, and whether this replica's requests in
 * flight hold enough of it for the request to fit once they settle.
 */
export interface BudgetLeft {
  usd: number;
  heldInFlight: boolean;
}

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
  /** How long ago the counters last showed this replica the tenant's spend, this month. */
  spentHintAgeMs(tenant: string, nowMs: number): number | undefined;
  /**
   * Whether this replica's requests in flight hold part of the tenant's budget this month
   * (reserved, not yet settled). Another replica's are not known here.
   */
  holdsReservations(tenant: string, nowMs: number): boolean;
  /**
   * What each tenant has counted this month, read from the counters (shared by every replica):
   * settled spend plus reservations in flight. It can exceed the budget (an upstream that
   * ignored `max_tokens`).
   */
  monthSpendUsd(tenants: readonly string[], nowMs: number): Promise<number[]>;
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

/**
 * Counter keys; `{tenant}` is a Redis Cluster hash tag, keeping one tenant's keys (its agents'
 * included) in one slot, so one script can check them all.
 */
/** The key that holds a reservation open in a shared store (`Reservation.id`). */
export function reservationKey(tenant: string, id: string): string {
  return `cellport:{${tenant}}:reservation:${id}`;
}

/** A tenant's budget counter for a month: read on every request, so made without the rest. */
export function tenantBudgetKey(tenant: string, month: string): string {
  return `cellport:{${tenant}}:budget:${month}`;
}

export function limitKeys(
  tenant: string,
  agent: string | undefined,
  minute: number,
  month: string,
) {
  const prefix = `cellport:{${tenant}}`;
  const agentPrefix = `${prefix}:agent:${agent ?? '-'}`;
  return {
    requests: `${prefix}:rpm:${minute}`,
    tokens: `${prefix}:tpm:${minute}`,
    tenantBudget: tenantBudgetKey(tenant, month),
    agentRequests: `${agentPrefix}:rpm:${minute}`,
    agentTokens: `${agentPrefix}:tpm:${minute}`,
    agentBudget: `${agentPrefix}:budget:${month}`,
  };
}

/** A limit a request can run into, in the order they are checked. */
export type LimitCheck =
  | 'requests'
  | 'tokens'
  | 'agent-requests'
  | 'agent-tokens'
  | 'tenant-budget'
  | 'agent-budget';

/** The reservation as a caller reads it: a smaller request (a lower max_tokens) may fit. */
function mayCost(request: LimitRequest): string {
  return request.costUsd.toPrecision(3);
}

/**
 * Builds the rejection for a failed check; the message names whose limit ran out. A refusing
 * budget's: what it had left (reservations in flight counted), and whether this replica's
 * requests in flight hold enough of it for the request to fit once they settle, which says
 * when to try again (`budgetRetryAfterSeconds`).
 */
export function rejection(
  check: LimitCheck,
  request: LimitRequest,
  budget: BudgetLeft = { usd: 0, heldInFlight: false },
): LimitVerdict {
  const rateLimited = (message: string): LimitVerdict => ({
    ok: false,
    reason: 'rate-limited',
    retryAfterSeconds: secondsToNextMinute(request.nowMs),
    message,
  });
  const { usd: leftUsd, heldInFlight } = budget;
  const budgetExhausted = (whose: string, budgetUsd?: number): LimitVerdict => {
    const left = `${whose}'s monthly budget of $${budgetUsd} has less left than this request may cost ($${mayCost(
      request,
    )}): $${Math.max(0, leftUsd).toPrecision(3)}`;
    let message = `${whose}'s monthly budget of $${budgetUsd} is exhausted`;
    if (heldInFlight) {
      message = `${left}, requests in flight holding what they may cost until they settle`;
    } else if (leftUsd > 0) {
      message = left;
    }
    return {
      ok: false,
      reason: 'budget-exhausted',
      retryAfterSeconds: budgetRetryAfterSeconds(heldInFlight, request.nowMs),
      message,
      budgetLeft: budget,
    };
  };
  switch (check) {
    case 'requests':
      return rateLimited(
        `tenant ${request.tenant}'s RPM limit is exhausted: ${request.limits.requestsPerMinute} requests per minute`,
      );
    case 'tokens':
      return rateLimited(
        `tenant ${request.tenant}'s TPM limit is exhausted: ${request.limits.tokensPerMinute} tokens per minute`,
      );
    case 'agent-requests':
      return rateLimited(
        `agent ${request.agent}'s RPM limit is exhausted: ${request.agentLimits?.requestsPerMinute} requests per minute`,
      );
    case 'agent-tokens':
      return rateLimited(
        `agent ${request.agent}'s TPM limit is exhausted: ${request.agentLimits?.tokensPerMinute} tokens per minute`,
      );
    case 'tenant-budget':
      return budgetExhausted(
        `tenant ${request.tenant}`,
        request.tenantBudgetUsd,
      );
    default:
      return budgetExhausted(`agent ${request.agent}`, request.agentBudgetUsd);
  }
}
