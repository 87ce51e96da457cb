import {
  Limiter,
  LimitCheck,
  LimitRequest,
  LimitVerdict,
  limitKeys,
  tenantBudgetKey,
  minuteOf,
  monthOf,
  NANO,
  rejection,
  Reservation,
  toNano,
} from './Limiter';
import { randomBytes } from 'node:crypto';
import { SpentHints } from './SpentHints';
import { OpenReservations } from './OpenReservations';

export const MINUTE_TTL_MS = 61_000;
/** The limit of a counter kept for a limit not set: more than any window holds. */
const NO_CEILING = Number.MAX_SAFE_INTEGER;
export const MONTH_TTL_MS = 32 * 24 * 3600_000;

/** One counter a request claims: added to only when every counter of the request has room. */
export interface CounterClaim {
  key: string;
  /** What the request adds: 1 request, its tokens, or its cost in nano-dollars. */
  amount: number;
  limit: number;
  /** How long the counter lives after it is written: its window and a little more. */
  ttlMs: number;
  /**
   * The first request of a window fits whatever its size. Token windows work so: a request
   * larger than the whole tokens-per-minute limit would otherwise never be served.
   */
  firstFits: boolean;
}

/** What a backend's check-and-add found. */
export interface ClaimOutcome {
  /** The index of the first claim without room (nothing was added), or -1 when all were added. */
  failed: number;
  /** Each checked counter's value before this request, up to and including the failed one. */
  before: number[];
}

/**
 * Reservation ids: this process's random prefix and a count, unique across replicas without
 * a random draw per request.
 */
const RESERVATION_PREFIX = randomBytes(6).toString('hex');
let reservations = 0;

/**
 * A reservation settled: the actual tokens and cost, and how far each is from what was
 * reserved. Its token counters take `tokenDelta`, its cost counters `costDelta`; a store
 * that lost the reservation takes the actual amounts instead.
 */
export interface Settlement {
  reservation: Reservation;
  tokens: number;
  costNanoUsd: number;
  tokenDelta: number;
  costDelta: number;
}

/** True when a claim fits a counter holding `current`; both backends decide by this rule. */
export function claimFits(claim: CounterClaim, current: number): boolean {
  return (
    current + claim.amount <= claim.limit || (claim.firstFits && current <= 0)
  );
}

interface ClaimPlan {
  claims: CounterClaim[];
  checks: LimitCheck[];
  /** Where the tenant's budget is among the claims. */
  tenantBudgetAt: number;
  tokenCounters: string[];
  costCounters: string[];
}

/**
 * The windows and budgets a request claims, in the order they are checked: rate limits before
 * budgets (a minute's wait before a month's), the tenant's before its agent's. An agent's
 * counters count whether or not it has limits (without one, with no ceiling), so that a
 * limit or budget a push gives it later sees what it already used in the window.
 */
function planClaims(
  request: LimitRequest,
  minute: number,
  month: string,
  costNano: number,
): ClaimPlan {
  const keys = limitKeys(request.tenant, request.agent, minute, month);
  const claims: CounterClaim[] = [
    {
      key: keys.requests,
      amount: 1,
      limit: request.limits.requestsPerMinute,
      ttlMs: MINUTE_TTL_MS,
      firstFits: false,
    },
    {
      key: keys.tokens,
      amount: request.tokens,
      limit: request.limits.tokensPerMinute,
      ttlMs: MINUTE_TTL_MS,
      firstFits: true,
    },
  ];
  const checks: LimitCheck[] = ['requests', 'tokens'];
  const tokenCounters = [keys.tokens];
  const costCounters = [keys.tenantBudget];
  const agent = request.agent;
  if (agent !== undefined) {
    claims.push(
      {
        key: keys.agentRequests,
        amount: 1,
        limit: request.agentLimits?.requestsPerMinute ?? NO_CEILING,
        ttlMs: MINUTE_TTL_MS,
        firstFits: false,
      },
      {
        key: keys.agentTokens,
        amount: request.tokens,
        limit: request.agentLimits?.tokensPerMinute ?? NO_CEILING,
        ttlMs: MINUTE_TTL_MS,
        firstFits: true,
      },
    );
    checks.push('agent-requests', 'agent-tokens');
    tokenCounters.push(keys.agentTokens);
  }
  const tenantBudgetAt = claims.length;
  claims.push({
    key: keys.tenantBudget,
    amount: costNano,
    limit: toNano(request.tenantBudgetUsd),
    ttlMs: MONTH_TTL_MS,
    firstFits: false,
  });
  checks.push('tenant-budget');
  if (agent !== undefined) {
    claims.push({
      key: keys.agentBudget,
      amount: costNano,
      limit:
        request.agentBudgetUsd === undefined
          ? NO_CEILING
          : toNano(request.agentBudgetUsd),
      ttlMs: MONTH_TTL_MS,
      firstFits: false,
    });
    checks.push('agent-budget');
    costCounters.push(keys.agentBudget);
  }
  return { claims, checks, tenantBudgetAt, tokenCounters, costCounters };
}

/**
 * The rules every limiter follows, whatever holds its counters: which counters a request
 * claims, that it takes all or none of them, how a refusal reads, and how settling corrects
 * the claimed counters to the actual tokens and cost. A backend only stores: it checks and
 * adds a set of claims atomically, and corrects counters that still exist.
 */
export abstract class WindowedLimiter implements Limiter {
  private readonly hints = new SpentHints();
  private readonly inFlight = new OpenReservations();

  /**
   * Checks every claim in order and, only if all have room (`claimFits`), adds every amount;
   * atomically, so concurrent requests (of any replica sharing the store) cannot all pass.
   * `nowMs` is the request's clock, for backends that expire counters themselves; every
   * counter claimed is `tenant`'s. A store whose counters can be lost apart from the process
   * (Redis restored from a snapshot) holds the reservation open under `reservation`.
   */
  protected abstract claim(
    claims: CounterClaim[],
    nowMs: number,
    tenant: string,
    reservation: string,
  ): Promise<ClaimOutcome>;

  /**
   * Adds each delta to its counter if the counter still exists: an expired window has nothing
   * left to correct, and re-creating it would count into a window that is over. A store that
   * no longer holds the reservation open adds the actual amounts instead: its counters do not
   * hold what the deltas would give back.
   */
  protected abstract correct(settlement: Settlement): Promise<void>;

  /** Each counter's value, 0 for one that does not exist (or has expired). */
  protected abstract read(keys: string[], nowMs: number): Promise<number[]>;

  abstract close(): Promise<void>;

  /**
   * What a tenant, or one of its agents, has counted in the minute of `nowMs`: requests, and
   * tokens reserved or settled.
   */
  async minuteUsage(
    tenant: string,
    agent: string | undefined,
    nowMs: number,
  ): Promise<{ requests: number; tokens: number }> {
    const keys = limitKeys(tenant, agent, minuteOf(nowMs), monthOf(nowMs));
    const [requests, tokens] = await this.read(
      agent === undefined
        ? [keys.requests, keys.tokens]
        : [keys.agentRequests, keys.agentTokens],
      nowMs,
    );
    return { requests, tokens };
  }

  async reserve(request: LimitRequest): Promise<LimitVerdict> {
    const minute = minuteOf(request.nowMs);
    const month = monthOf(request.nowMs);
    const cost = toNano(request.costUsd);
    const plan = planClaims(request, minute, month, cost);
    const mark = this.hints.mark(request.tenant);
    const id = `${RESERVATION_PREFIX}${(++reservations).toString(36)}`;
    const { failed, before } = await this.claim(
      plan.claims,
      request.nowMs,
      request.tenant,
      id,
    );
    const spent = before[plan.tenantBudgetAt];
    if (spent !== undefined) {
      this.hints.set(
        request.tenant,
        month,
        failed < 0 ? spent + cost : spent,
        request.nowMs,
        mark,
      );
    }
    if (failed >= 0) {
      // A budget's claims come last: what it had left, and what this replica's requests in
      // flight hold of it (the request fits once they settle), say when to try again.
      const refusing = plan.claims[failed];
      const left = refusing.limit - before[failed];
      return rejection(
        plan.checks[failed],
        request,
        failed >= plan.tenantBudgetAt
          ? {
              usd: left / NANO,
              heldInFlight:
                left + this.inFlight.heldNano(refusing.key) >= refusing.amount,
            }
          : undefined,
      );
    }
    this.inFlight.hold(id, plan.costCounters, cost);
    return {
      ok: true,
      reservation: {
        id,
        tenant: request.tenant,
        month,
        tokens: request.tokens,
        costNanoUsd: cost,
        remainingUsd:
          (plan.claims[plan.tenantBudgetAt].limit - spent - cost) / NANO,
        tokenCounters: plan.tokenCounters,
        costCounters: plan.costCounters,
      },
    };
  }

  async settle(
    reservation: Reservation,
    actual: { tokens: number; costUsd: number },
  ): Promise<void> {
    this.inFlight.release(reservation.id);
    const costNanoUsd = toNano(actual.costUsd);
    const costDelta = costNanoUsd - reservation.costNanoUsd;
    await this.correct({
      reservation,
      tokens: actual.tokens,
      costNanoUsd,
      tokenDelta: actual.tokens - reservation.tokens,
      costDelta,
    });
    this.hints.add(reservation.tenant, reservation.month, costDelta);
  }

  release(reservation: Reservation): Promise<void> {
    return this.settle(reservation, { tokens: 0, costUsd: 0 });
  }

  spentUsdHint(tenant: string, nowMs: number): number | undefined {
    return this.hints.spentUsd(tenant, nowMs);
  }

  spentHintAgeMs(tenant: string, nowMs: number): number | undefined {
    return this.hints.ageMs(tenant, nowMs);
  }

  holdsReservations(tenant: string, nowMs: number): boolean {
    return this.inFlight.heldNano(tenantBudgetKey(tenant, monthOf(nowMs))) > 0;
  }

  async monthSpendUsd(
    tenants: readonly string[],
    nowMs: number,
  ): Promise<number[]> {
    const month = monthOf(nowMs);
    // One read per tenant: each tenant's keys live in a hash slot of their own (Redis Cluster).
    const spent = await Promise.all(
      tenants.map(tenant => this.read([tenantBudgetKey(tenant, month)], nowMs)),
    );
    return spent.map(([nano]) => nano / NANO);
  }
}
