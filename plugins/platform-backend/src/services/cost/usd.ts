/**
 * Every reported cost figure is exact to the nano-dollar (1e-9 USD, `USD_PRECISION`):
 * gateways price requests in fractions of a cent, and each figure is a sum of thousands of
 * them in binary floating point (1000 × $0.001 adds up to 1.0000000000000007).
 *
 * One rule, everywhere a cost is added: sums are kept raw (unrounded, `sumRaw`) for as long as
 * they are worked with, and each figure a report gives is rounded once, from the raw values
 * under it (`sumUsd`, `roundUsd`). Rounding parts and adding them would not do: a figure made
 * of n rounded parts is off by up to n × 0.5e-9, and upward, since half a nano-dollar (a price
 * such as $0.0375 per million tokens gives them) rounds up. So every figure is the exact sum
 * to 1e-9; a total and its parts (groups, days, deployments) are each rounded on their own,
 * and the parts' rounded figures add up to the rounded total within n × 0.5e-9 for n parts.
 */
export const USD_PRECISION = 1e-9;

/** Whole: 1 / USD_PRECISION is 1000000000.0000001 in floating point. */
const NANOS_PER_USD = 1e9;

/** `usd` at the precision of cost figures: what a report gives. */
export function roundUsd(usd: number): number {
  return Math.round(usd * NANOS_PER_USD) / NANOS_PER_USD;
}

/**
 * The raw (unrounded) sum of some values: costs, or the GPU-hours costs are priced from. What
 * figures are kept as until reported; round the result once, where it is reported.
 */
export function sumRaw(values: Iterable<number>): number {
  let total = 0;
  for (const value of values) total += value;
  return total;
}

/** The sum of some raw costs as a reported figure: rounded once, at the precision of costs. */
export function sumUsd(costs: Iterable<number>): number {
  return roundUsd(sumRaw(costs));
}
