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

  /** The spend the counters showed at `readAtMs` (a claim read them). */
  set(
    tenant: string,
    month: string,
    spentNano: number,
    readAtMs: number,
  ): void {
    this.hints.set(tenant, { month, spentNano, readAtMs });
  }

  add(tenant: string, month: string, deltaNano: number): void {
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

  /** How long ago the counters last showed the tenant's spend this month, if they have. */
  ageMs(tenant: string, nowMs: number): number | undefined {
    const hint = this.hints.get(tenant);
    return hint && hint.month === monthOf(nowMs)
      ? nowMs - hint.readAtMs
      : undefined;
  }
}
