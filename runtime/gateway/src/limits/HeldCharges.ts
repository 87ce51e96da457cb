import { randomBytes } from 'node:crypto';

import type { Refund } from './RefundQueue';

/** A charge beyond a reservation, with the id that makes sending it twice harmless. */
export interface Charge extends Refund {
  id: string;
  /** When its first send failed. */
  heldSince?: number;
}

/** Applies one charge to the shared counters, at most once per id. */
export type SendCharge = (tenant: string, charge: Charge) => Promise<void>;

/**
 * Charges beyond a reservation (an upstream that ignored `max_tokens`) on their way to the
 * shared counters. A charge whose command fails, whatever the failure (refused, reset, timed
 * out on a link that hangs), is held and sent again until it lands: lost, it would let the
 * tenant spend it again. Its id makes a second landing a no-op, so one the counters did get
 * (only the reply was lost) is not counted twice. `land` lets a claim wait until the
 * tenant's held charges, and any already on their way, have landed.
 */
export class HeldCharges {
  private readonly held = new Map<string, Charge[]>();
  private readonly landing = new Map<string, Promise<void>>();
  private timer?: NodeJS.Timeout;
  private closed = false;

  /**
   * @param maxHeldMs - how long a charge is sent again: no longer than the store remembers its
   *   id, or a copy that did land (only its reply was lost) would count twice. One held longer
   *   is dropped and reported.
   */
  constructor(
    private readonly send: SendCharge,
    private readonly retryMs: number,
    private readonly onError: (error: Error) => void,
    private readonly maxHeldMs = Infinity,
    private readonly now: () => number = Date.now,
  ) {}

  static charge(settlement: Refund): Charge {
    return { id: randomBytes(8).toString('hex'), ...settlement };
  }

  /** Whether nothing is held or on its way: the claim path's one check. */
  get empty(): boolean {
    return this.held.size === 0 && this.landing.size === 0;
  }

  /** Sends a charge; rejects after holding it when it fails. */
  async apply(tenant: string, charge: Charge): Promise<void> {
    try {
      await this.send(tenant, charge);
    } catch (error) {
      this.hold(tenant, [charge]);
      throw error;
    }
  }

  /** Resolves once the tenant owes nothing; rejects while a held charge cannot land. */
  async land(tenant: string): Promise<void> {
    for (;;) {
      const onItsWay = this.landing.get(tenant);
      if (onItsWay) {
        await onItsWay;
        continue;
      }
      const charges = this.unexpired(tenant);
      if (!charges) return;
      this.held.delete(tenant);
      const sending = this.sendAll(tenant, charges).finally(() => {
        this.landing.delete(tenant);
      });
      this.landing.set(tenant, sending);
      await sending;
    }
  }

  /** Lands every tenant's held charges; rejects with the first failure. */
  async landAll(): Promise<void> {
    const tenants = new Set([...this.held.keys(), ...this.landing.keys()]);
    const results = await Promise.allSettled(
      [...tenants].map(tenant => this.land(tenant)),
    );
    const failed = results.find(result => result.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
  }

  /** Tries once more, stops retrying; returns how many charges are still unsent. */
  async close(): Promise<number> {
    this.closed = true;
    clearTimeout(this.timer);
    await this.landAll().catch(this.onError);
    let unsent = 0;
    for (const charges of this.held.values()) unsent += charges.length;
    return unsent;
  }

  private async sendAll(tenant: string, charges: Charge[]): Promise<void> {
    const results = await Promise.allSettled(
      charges.map(charge => this.send(tenant, charge)),
    );
    const failed = charges.filter((_, i) => results[i].status === 'rejected');
    if (failed.length === 0) return;
    this.hold(tenant, failed);
    throw (results.find(r => r.status === 'rejected') as PromiseRejectedResult)
      .reason;
  }

  /** The tenant's held charges, less those held too long (dropped and reported). */
  private unexpired(tenant: string): Charge[] | undefined {
    const charges = this.held.get(tenant);
    if (!charges) return undefined;
    const now = this.now();
    const kept = charges.filter(
      c => now - (c.heldSince ?? now) <= this.maxHeldMs,
    );
    if (kept.length < charges.length) {
      this.onError(
        new Error(
          `${
            charges.length - kept.length
          } charges beyond their reservations of tenant ${tenant} could not reach Redis within ${Math.round(
            this.maxHeldMs / 1000,
          )} s and are dropped: Redis may have applied them, and no longer remembers which`,
        ),
      );
    }
    if (kept.length > 0) {
      this.held.set(tenant, kept);
      return kept;
    }
    this.held.delete(tenant);
    return undefined;
  }

  private hold(tenant: string, charges: Charge[]): void {
    const now = this.now();
    for (const charge of charges) charge.heldSince ??= now;
    const held = this.held.get(tenant);
    if (held) held.push(...charges);
    else this.held.set(tenant, [...charges]);
    if (this.closed) return;
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.landAll().catch(this.onError);
    }, this.retryMs).unref();
  }
}
