/**
 * Every cost figure is exact to the nano-dollar (1e-9 USD, `USD_PRECISION`): gateways price
 * requests in fractions of a cent, and each figure is a sum of thousands of them in binary
 * floating point (1000 × $0.001 adds up to 1.0000000000000007), so each sum is rounded to
 * that precision here, where every cost figure is added, and a total reads as its parts add.
 */
export const USD_PRECISION = 1e-9;

/** Whole: 1 / USD_PRECISION is 1000000000.0000001 in floating point. */
const NANOS_PER_USD = 1e9;

/** `usd` at the precision of cost figures. */
export function roundUsd(usd: number): number {
  return Math.round(usd * NANOS_PER_USD) / NANOS_PER_USD;
}

/** The sum of some costs, at the precision of cost figures. */
export function sumUsd(costs: Iterable<number>): number {
  let total = 0;
  for (const cost of costs) total += cost;
  return roundUsd(total);
}
