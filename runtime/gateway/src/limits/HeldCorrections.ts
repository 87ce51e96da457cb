import { randomBytes } from 'node:crypto';

/** A correction of the shared counters, with the id that makes sending it twice harmless. */
export interface Correction {
  id: string;
}

/** A charge beyond a reservation: amounts to add to counters. */
export interface Charge extends Correction {
  keys: string[];
  deltas: number[];
}

export function chargeOf(keys: string[], deltas: number[]): Charge {
  return { id: randomBytes(8).toString('hex'), keys, deltas };
}

/** Applies one correction to the shared counters, at most once per id. */
export type SendCorrection<C extends Correction> = (
  tenant: string,
  correction: C,
) => Promise<void>;

/**
 * Corrections the shared counters must get exactly once, on their way: charges beyond a
 * reservation (an upstream that ignored `max_tokens`), and revokes of claims whose answer
 * never came. A correction whose command fails, whatever the failure (refused, reset, timed
 * out on a link that hangs), is held and sent again until it lands: a lost charge would let
 * the tenant spend it again, a lost revoke would keep refused requests counted. Its id makes
 * a second landing a no-op, so one the counters did get (only the reply was lost) is not
 * applied twice. `land` lets a claim wait until the tenant's held corrections, and any
 * already on their way, have landed.
 */
export class HeldCorrections<C extends Correction> {
  private readonly held = new Map<string, C[]>();
  private readonly landing = new Map<string, Promise<void>>();
  private timer?: NodeJS.Timeout;
  private closed = false;

  constructor(
    private readonly send: SendCorrection<C>,
    private readonly retryMs: number,
    private readonly onError: (error: Error) => void,
  ) {}

  /** How many corrections are held for a retry (not those on their way). */
  get heldCount(): number {
    let count = 0;
    for (const corrections of this.held.values()) count += corrections.length;
    return count;
  }

  /** Whether nothing is held or on its way: the claim path's one check. */
  get empty(): boolean {
    return this.held.size === 0 && this.landing.size === 0;
  }

  /** Sends a correction; rejects after holding it when it fails. */
  async apply(tenant: string, correction: C): Promise<void> {
    try {
      await this.send(tenant, correction);
    } catch (error) {
      this.hold(tenant, [correction]);
      throw error;
    }
  }

  /** Resolves once the tenant owes nothing; rejects while a held correction cannot land. */
  async land(tenant: string): Promise<void> {
    for (;;) {
      const onItsWay = this.landing.get(tenant);
      if (onItsWay) {
        await onItsWay;
        continue;
      }
      const corrections = this.held.get(tenant);
      if (!corrections) return;
      this.held.delete(tenant);
      const sending = this.sendAll(tenant, corrections).finally(() => {
        this.landing.delete(tenant);
      });
      this.landing.set(tenant, sending);
      await sending;
    }
  }

  /** Lands every tenant's held corrections; rejects with the first failure. */
  async landAll(): Promise<void> {
    const tenants = new Set([...this.held.keys(), ...this.landing.keys()]);
    const results = await Promise.allSettled(
      [...tenants].map(tenant => this.land(tenant)),
    );
    const failed = results.find(result => result.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
  }

  /** Tries once more, stops retrying; returns how many corrections are still unsent. */
  async close(): Promise<number> {
    this.closed = true;
    clearTimeout(this.timer);
    await this.landAll().catch(this.onError);
    return this.heldCount;
  }

  private async sendAll(tenant: string, corrections: C[]): Promise<void> {
    const results = await Promise.allSettled(
      corrections.map(correction => this.send(tenant, correction)),
    );
    const failed = corrections.filter(
      (_, i) => results[i].status === 'rejected',
    );
    if (failed.length === 0) return;
    this.hold(tenant, failed);
    throw (results.find(r => r.status === 'rejected') as PromiseRejectedResult)
      .reason;
  }

  private hold(tenant: string, corrections: C[]): void {
    const held = this.held.get(tenant);
    if (held) held.push(...corrections);
    else this.held.set(tenant, [...corrections]);
    if (this.closed) return;
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.landAll().catch(this.onError);
    }, this.retryMs).unref();
  }
}
