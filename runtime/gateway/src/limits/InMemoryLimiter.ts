import { tenantBudgetKey, monthOf, NANO } from './Limiter';
import {
  claimFits,
  ClaimOutcome,
  Settlement,
  CounterClaim,
  WindowedLimiter,
} from './WindowedLimiter';

interface Counter {
  value: number;
  expiresAtMs: number;
}

/**
 * The embedded default: counters in this process. Node runs one request's check-and-add
 * without interleaving (no await inside), so it is atomic within the replica.
 */
export class InMemoryLimiter extends WindowedLimiter {
  private readonly counters = new Map<string, Counter>();
  private operations = 0;

  protected async claim(
    claims: CounterClaim[],
    now: number,
  ): Promise<ClaimOutcome> {
    this.sweep(now);
    const before: number[] = [];
    for (let i = 0; i < claims.length; i++) {
      const current = this.value(claims[i].key, now);
      before.push(current);
      if (!claimFits(claims[i], current)) {
        return { failed: i, before };
      }
    }
    for (const claim of claims) {
      const counter = this.counters.get(claim.key);
      if (counter && counter.expiresAtMs > now) {
        counter.value += claim.amount;
      } else {
        this.counters.set(claim.key, {
          value: claim.amount,
          expiresAtMs: now + claim.ttlMs,
        });
      }
    }
    return { failed: -1, before };
  }

  /**
   * Settles only into a counter that still exists: an expired window has nothing to correct.
   * This process's counters and reservations are lost together, never one without the other.
   */
  protected async correct(settlement: Settlement): Promise<void> {
    const { reservation, tokenDelta, costDelta } = settlement;
    if (tokenDelta !== 0) this.add(reservation.tokenCounters, tokenDelta);
    if (costDelta !== 0) this.add(reservation.costCounters, costDelta);
  }

  private add(keys: readonly string[], delta: number): void {
    for (const key of keys) {
      const counter = this.counters.get(key);
      if (counter) counter.value += delta;
    }
  }

  protected async read(keys: string[], nowMs: number): Promise<number[]> {
    return keys.map(key => this.value(key, nowMs));
  }

  /** What the tenant has spent (settled plus reserved) this month, in US dollars. */
  spentUsd(tenant: string, nowMs: number): number {
    return this.value(tenantBudgetKey(tenant, monthOf(nowMs)), nowMs) / NANO;
  }

  async close(): Promise<void> {
    this.counters.clear();
  }

  private value(key: string, now: number): number {
    const counter = this.counters.get(key);
    return counter && counter.expiresAtMs > now ? counter.value : 0;
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
