import { z } from 'zod';

/** `1000000000` as people read it: `1,000,000,000`. */
export function formatBound(n: number): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: 6 });
}

interface Bounds {
  /** Smallest value allowed. */
  min: number;
  /** Largest value allowed: above it is a typo, not a plan (see each use for why this one). */
  max: number;
  /** When true, `min` itself is refused (a price may be 0, a budget may not). */
  exclusiveMin?: boolean;
}

function minMessage({ min, exclusiveMin }: Bounds) {
  if (exclusiveMin && min === 0) return 'must be greater than 0';
  if (min === 0) return 'must not be negative';
  return exclusiveMin
    ? `must be greater than ${formatBound(min)}`
    : `must be at least ${formatBound(min)}`;
}

/**
 * A finite number within sane bounds. JSON and YAML carry 1e308 and, through some parsers,
 * Infinity or NaN: each is refused with what is allowed, instead of being stored and rendered
 * as hundreds of digits or compared as nonsense.
 */
export function boundedNumber(bounds: Bounds) {
  const schema = z.number({ error: 'must be a finite number' });
  return (
    bounds.exclusiveMin
      ? schema.gt(bounds.min, minMessage(bounds))
      : schema.min(bounds.min, minMessage(bounds))
  ).max(bounds.max, `must be at most ${formatBound(bounds.max)}`);
}

/** A whole number within sane bounds (counts, limits, tokens). */
export function boundedInt(bounds: Bounds) {
  // The bounds are checked first and stop there, so 1e308 reads "must be at most …" rather
  // than zod's "too big for a safe integer".
  const schema = z
    .number({ error: 'must be a finite number' })
    .max(bounds.max, {
      error: `must be at most ${formatBound(bounds.max)}`,
      abort: true,
    });
  return (
    bounds.exclusiveMin
      ? schema.gt(bounds.min, { error: minMessage(bounds), abort: true })
      : schema.min(bounds.min, { error: minMessage(bounds), abort: true })
  ).int({ error: 'must be a whole number' });
}

/**
 * A context length in tokens, or a number of tokens within one. The longest context offered
 * today is 10 million tokens; nothing is served beyond it.
 */
export const MAX_CONTEXT_LENGTH = 10_000_000;
export const contextLengthSchema = boundedInt({
  min: 0,
  exclusiveMin: true,
  max: MAX_CONTEXT_LENGTH,
});
