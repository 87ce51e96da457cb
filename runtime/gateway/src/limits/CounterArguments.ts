import type { Refund } from './RefundQueue';
import type { CounterClaim } from './WindowedLimiter';

/**
 * The counters one script touches, each named once, and the rules of those that requests claim.
 * A tenant's requests of one tick claim the same five counters, and their refunds correct
 * them: sent per request, as four arguments per counter, building and encoding them was half
 * of what Redis mode allocated a request over in-process counters (bench/gateway).
 */
class CounterTable {
  readonly keys: string[] = [];
  /** Per claimed counter (the first ones): its limit, TTL and first-fits flag. */
  readonly rules: number[] = [];
  private readonly indexes = new Map<string, number>();

  /**
   * The 1-based index of a claimed counter. Two claims of one key with other rules (the state
   * changed between two requests of a tick) get a counter each, each checked by its own.
   */
  claimed(claim: CounterClaim): number {
    const at = this.indexes.get(claim.key);
    if (at !== undefined && this.sameRules(at, claim)) return at;
    this.keys.push(claim.key);
    this.rules.push(claim.limit, claim.ttlMs, claim.firstFits ? 1 : 0);
    this.indexes.set(claim.key, this.keys.length);
    return this.keys.length;
  }

  /** The 1-based index of a counter a refund corrects: any with its key will do. */
  touched(key: string): number {
    const at = this.indexes.get(key);
    if (at !== undefined) return at;
    this.keys.push(key);
    this.indexes.set(key, this.keys.length);
    return this.keys.length;
  }

  private sameRules(index: number, claim: CounterClaim): boolean {
    const rule = 3 * (index - 1);
    return (
      rule < this.rules.length &&
      this.rules[rule] === claim.limit &&
      this.rules[rule + 1] === claim.ttlMs &&
      this.rules[rule + 2] === (claim.firstFits ? 1 : 0)
    );
  }

  /** One request's claims, in order: pairs of counter index and amount. */
  claims(claims: CounterClaim[]): string {
    let text = '';
    for (const claim of claims) {
      text += `${this.claimed(claim)} ${claim.amount} `;
    }
    return text;
  }

  /** One refund's corrections: triples of counter index, delta and actual amount. */
  refund(refund: Refund): string {
    let text = '';
    for (let i = 0; i < refund.keys.length; i++) {
      text += `${this.touched(refund.keys[i])} ${refund.deltas[i]} ${
        refund.actuals[i]
      } `;
    }
    return text;
  }
}

/**
 * CLAIM_SCRIPT's keys and arguments, as one list (the number of keys first): the requests'
 * claims with their reservation keys, the refunds held back, and how long a reservation stays
 * open.
 */
export function claimArguments(
  requests: CounterClaim[][],
  reservations: string[],
  refunds: Refund[],
  openForMs: number,
): Array<string | number> {
  const table = new CounterTable();
  const claims = requests.map(request => table.claims(request));
  const claimedCounters = table.keys.length;
  const corrections = refunds.map(refund => table.refund(refund));
  const args: Array<string | number> = [
    table.keys.length + reservations.length + refunds.length,
  ];
  args.push(...table.keys, ...reservations);
  for (const refund of refunds) args.push(refund.reservation);
  args.push(
    table.keys.length,
    claimedCounters,
    requests.length,
    refunds.length,
    openForMs,
    ...table.rules,
    ...claims,
    ...corrections,
  );
  return args;
}

/**
 * A settlement's keys and arguments as CORRECT_SCRIPT reads them (and CHARGE_SCRIPT after its
 * own): the counters, then the reservations' keys; the number of counters and of refunds,
 * then each refund's corrections.
 */
export function settleArguments(refunds: Refund[]): {
  keys: string[];
  args: Array<string | number>;
} {
  const table = new CounterTable();
  const corrections = refunds.map(refund => table.refund(refund));
  return {
    keys: table.keys.concat(refunds.map(refund => refund.reservation)),
    args: [table.keys.length, refunds.length, ...corrections],
  };
}
