/** A tenant's refunds as one command takes them: counters and the amount each gets back. */
export interface Refunds {
  keys: string[];
  deltas: number[];
}

/**
 * Refunds waiting to be applied, per tenant, merged per counter. Settling a request mostly
 * gives back part of its reservation; holding those refunds until the tenant's next claim
 * (which carries them in the same command) saves a Redis round trip per request. A refund
 * held back only keeps a counter higher for a moment: requests are refused sooner, never
 * admitted beyond a limit. Kept per tenant because a tenant's counters share a hash slot
 * (Redis Cluster runs a script only over keys of one slot).
 */
export class RefundQueue {
  private readonly byTenant = new Map<string, Map<string, number>>();

  get tenants(): number {
    return this.byTenant.size;
  }

  /** Adds refunds (negative deltas) to the tenant's counters. */
  add(tenant: string, keys: string[], deltas: number[]): void {
    let pending = this.byTenant.get(tenant);
    if (!pending) {
      pending = new Map();
      this.byTenant.set(tenant, pending);
    }
    for (let i = 0; i < keys.length; i++) {
      pending.set(keys[i], (pending.get(keys[i]) ?? 0) + deltas[i]);
    }
  }

  /** Removes and returns the tenant's refunds (none: empty lists). */
  take(tenant: string): Refunds {
    const pending = this.byTenant.get(tenant);
    const refunds: Refunds = { keys: [], deltas: [] };
    if (!pending) return refunds;
    this.byTenant.delete(tenant);
    for (const [key, delta] of pending) {
      if (delta === 0) continue;
      refunds.keys.push(key);
      refunds.deltas.push(delta);
    }
    return refunds;
  }

  /** Removes and returns every tenant's refunds. */
  takeAll(): Array<{ tenant: string } & Refunds> {
    return [...this.byTenant.keys()].map(tenant => ({
      tenant,
      ...this.take(tenant),
    }));
  }
}
