/** A reservation's refunds as a command takes them: its counters and each one's amounts. */
export interface Refund {
  /** The key that holds the reservation open (`reservationKey`). */
  reservation: string;
  keys: string[];
  /** Actual minus reserved, per counter: what the counter gets back. */
  deltas: number[];
  /** The actual amount per counter: added instead when the reservation was lost. */
  actuals: number[];
}

/**
 * Refunds waiting to be applied, per tenant. Settling a request mostly gives back part of its
 * reservation; holding those refunds until the tenant's next claim (which carries them in the
 * same command) saves a Redis round trip per request. A refund held back only keeps a counter
 * higher for a moment: requests are refused sooner, never admitted beyond a limit. Kept per
 * reservation, not merged per counter: each applies only while its reservation is open in
 * Redis. Kept per tenant because a tenant's counters share a hash slot (Redis Cluster runs a
 * script only over keys of one slot).
 */
export class RefundQueue {
  private readonly byTenant = new Map<string, Refund[]>();
  private held = 0;

  get tenants(): number {
    return this.byTenant.size;
  }

  /** Refunds waiting, all tenants together. */
  get size(): number {
    return this.held;
  }

  add(tenant: string, refund: Refund): void {
    this.held += 1;
    const pending = this.byTenant.get(tenant);
    if (pending) pending.push(refund);
    else this.byTenant.set(tenant, [refund]);
  }

  /** Removes and returns the tenant's refunds. */
  take(tenant: string): Refund[] {
    const pending = this.byTenant.get(tenant) ?? [];
    this.byTenant.delete(tenant);
    this.held -= pending.length;
    return pending;
  }

  /** Removes and returns every tenant's refunds. */
  takeAll(): Array<{ tenant: string; refunds: Refund[] }> {
    return [...this.byTenant.keys()].map(tenant => ({
      tenant,
      refunds: this.take(tenant),
    }));
  }
}
