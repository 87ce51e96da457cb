import { monthOf, NANO } from './Limiter';

/**
 * What each tenant had spent this month when this replica last looked, so the router can drop
 * candidates the budget cannot cover without a round trip to the counters. It holds spend, not
 * remaining budget, so a raised budget applies at once, and it is keyed by month, so a new month
 * starts clean. With several replicas it errs either way: low by what others spent since, high
 * by their reservations it counted that were since refunded. So it refuses on its own only
 * while fresh (its age: `ageMs`); the shared counters decide otherwise.
 */
export class SpentHints {
  private readonly hints = new Map<
    string,
    { month: string; spentNano: number; readAtMs: number }
  >();

  /** Refunds this replica made, per tenant: `mark` and `set` tell whether one came between. */
  private readonly refunds = new Map<string, number>();

  /** Taken before the counters are read, and handed back to `set` with what they showed. */
  mark(tenant: string): number {
    return this.refunds.get(tenant) ?? 0;
  }

  /**
   * The spend the counters showed at `readAtMs` (a claim read them). A refund made here while
   * the read was on its way may be missing from it: the figure is kept, but is not fresh.
   */
  set(
    tenant: string,
    month: string,
    spentNano: number,
    readAtMs: number,
    mark: number,
  ): void {
    const fresh = this.mark(tenant) === mark;
    this.hints.set(tenant, {
      month,
      spentNano,
      readAtMs: fresh ? readAtMs : -Infinity,
    });
  }

  add(tenant: string, month: string, deltaNano: number): void {
    if (deltaNano < 0) this.refunds.set(tenant, this.mark(tenant) + 1);
    const hint = this.hints.get(tenant);
    if (hint && hint.month === month) {
      hint.spentNano += deltaNano;
    }
  }

  spentUsd(tenant: string, nowMs: number): number | undefined {
    const hint = this.hints.get(tenant);
    return hint && hint.month === monthOf(nowMs)
      ? hint.spentNano / NANO
      : undefined;
  }

  /**
   * How long ago the counters last showed the tenant's spend this month, if they have; Infinity
   * for a figure that is not fresh, or when the clock has stepped back since.
   */
  ageMs(tenant: string, nowMs: number): number | undefined {
    const hint = this.hints.get(tenant);
    if (!hint || hint.month !== monthOf(nowMs)) return undefined;
    const age = nowMs - hint.readAtMs;
    return age >= 0 ? age : Infinity;
  }
}
