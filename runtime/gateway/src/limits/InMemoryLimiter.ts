import {
  Limiter,
  LimitRequest,
  LimitVerdict,
  limitKeys,
  minuteOf,
  monthOf,
  NANO,
  rejection,
  Reservation,
  toNano,
} from './Limiter';
import { SpentHints } from './SpentHints';

interface Counter {
  value: number;
  expiresAtMs: number;
}

const MINUTE_TTL_MS = 61_000;
const MONTH_TTL_MS = 32 * 24 * 3600_000;

/**
 * The embedded default: counters in this process. Node runs one request's check-and-reserve
 * without interleaving (no await inside), so it is atomic within the replica.
 */
export class InMemoryLimiter implements Limiter {
  private readonly counters = new Map<string, Counter>();
  private readonly hints = new SpentHints();
  private operations = 0;

  async reserve(request: LimitRequest): Promise<LimitVerdict> {
    const now = request.nowMs;
    const minute = minuteOf(now);
    const month = monthOf(now);
    const keys = limitKeys(request.tenant, request.agent, minute, month);
    const cost = toNano(request.costUsd);
    const budget = toNano(request.tenantBudgetUsd);
    this.sweep(now);
    if (this.read(keys.requests, now) + 1 > request.limits.requestsPerMinute) {
      return rejection('requests', request);
    }
    const tokens = this.read(keys.tokens, now);
    if (
      tokens > 0 &&
      tokens + request.tokens > request.limits.tokensPerMinute
    ) {
      return rejection('tokens', request);
    }
    const spent = this.read(keys.tenantBudget, now);
    if (spent + cost > budget) {
      this.hints.set(request.tenant, month, spent);
      return rejection('tenant-budget', request);
    }
    if (request.agent !== undefined && request.agentBudgetUsd !== undefined) {
      if (
        this.read(keys.agentBudget, now) + cost >
        toNano(request.agentBudgetUsd)
      ) {
        return rejection('agent-budget', request);
      }
      this.add(keys.agentBudget, cost, now, MONTH_TTL_MS);
    }
    this.add(keys.requests, 1, now, MINUTE_TTL_MS);
    this.add(keys.tokens, request.tokens, now, MINUTE_TTL_MS);
    this.add(keys.tenantBudget, cost, now, MONTH_TTL_MS);
    const remainingUsd = (budget - spent - cost) / NANO;
    this.hints.set(request.tenant, month, spent + cost);
    return {
      ok: true,
      reservation: {
        tenant: request.tenant,
        agent: request.agent,
        minute,
        month,
        tokens: request.tokens,
        costNanoUsd: cost,
        remainingUsd,
      },
    };
  }

  async settle(
    reservation: Reservation,
    actual: { tokens: number; costUsd: number },
  ): Promise<void> {
    const keys = limitKeys(
      reservation.tenant,
      reservation.agent,
      reservation.minute,
      reservation.month,
    );
    const costDelta = toNano(actual.costUsd) - reservation.costNanoUsd;
    this.adjust(keys.tokens, actual.tokens - reservation.tokens);
    this.adjust(keys.tenantBudget, costDelta);
    if (reservation.agent !== undefined) {
      this.adjust(keys.agentBudget, costDelta);
    }
    this.hints.add(reservation.tenant, reservation.month, costDelta);
  }

  release(reservation: Reservation): Promise<void> {
    return this.settle(reservation, { tokens: 0, costUsd: 0 });
  }

  spentUsdHint(tenant: string, nowMs: number): number | undefined {
    return this.hints.spentUsd(tenant, nowMs);
  }

  /** What the tenant has spent (settled plus reserved) this month, in US dollars. */
  spentUsd(tenant: string, nowMs: number): number {
    return (
      this.read(
        limitKeys(tenant, undefined, 0, monthOf(nowMs)).tenantBudget,
        nowMs,
      ) / NANO
    );
  }

  async close(): Promise<void> {
    this.counters.clear();
  }

  private read(key: string, now: number): number {
    const counter = this.counters.get(key);
    return counter && counter.expiresAtMs > now ? counter.value : 0;
  }

  private add(key: string, delta: number, now: number, ttlMs: number): void {
    const counter = this.counters.get(key);
    if (counter && counter.expiresAtMs > now) {
      counter.value += delta;
    } else {
      this.counters.set(key, { value: delta, expiresAtMs: now + ttlMs });
    }
  }

  /** Settles only into a counter that still exists: an expired window has nothing to correct. */
  private adjust(key: string, delta: number): void {
    const counter = this.counters.get(key);
    if (counter) {
      counter.value += delta;
    }
  }

  /** Drops expired windows now and then, bounding memory. */
  private sweep(now: number): void {
    if (++this.operations % 1000 !== 0) {
      return;
    }
    for (const [key, counter] of this.counters) {
      if (counter.expiresAtMs <= now) {
        this.counters.delete(key);
      }
    }
  }
}
