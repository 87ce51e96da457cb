import { Granularity, GRANULARITY_MINUTES } from './rollupSchema';

/** A half-open range of epoch milliseconds, `[from, to)`. */
export interface TimeRange {
  from: number;
  to: number;
}

/** A range of rollup buckets of one granularity, in epoch minutes, `[from, to)`. */
export interface BucketSegment {
  granularity: Granularity;
  from: number;
  to: number;
}

export const MINUTE_MS = 60_000;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;

/** Rollup buckets in epoch minutes, `[from, to)`. */
export interface BucketRange {
  from: number;
  to: number;
}

/**
 * The buckets a range counts: each bucket counts in the range that holds its start, so
 * ranges side by side never both count one (nor does a range inside one minute), and a range
 * that ends now counts the minute under way. Minute rollups are purged sooner than hour ones:
 * an edge before `minutesKeptFrom` (an hour boundary, `minuteRetentionStart`) falls on the hour instead, so the
 * range is read from hours there and loses nothing the purge removed.
 */
export function countedBuckets(
  range: TimeRange,
  minutesKeptFrom: number,
): BucketRange {
  const edge = (t: number) =>
    t < minutesKeptFrom
      ? Math.ceil(t / HOUR_MS) * GRANULARITY_MINUTES.hour
      : Math.ceil(t / MINUTE_MS);
  return { from: edge(range.from), to: edge(range.to) };
}

/** The first hour whose minutes every purge keeps, `days` of minute retention before `now`. */
export function minuteRetentionStart(now: number, days: number): number {
  return Math.ceil((now - days * DAY_MS) / HOUR_MS) * HOUR_MS;
}

/**
 * Splits buckets into the fewest rollup reads that cover them exactly: whole UTC days from the
 * day table, whole hours at its edges from the hour table, and minutes at the very edges from
 * the minute table. A 28-day window is one day read plus at most four small ones.
 */
export function decomposeRange({ from, to }: BucketRange): BucketSegment[] {
  if (to <= from) return [];
  const segments: BucketSegment[] = [];
  const day = GRANULARITY_MINUTES.day;
  const dayFrom = Math.ceil(from / day) * day;
  const dayTo = Math.floor(to / day) * day;
  if (dayFrom < dayTo) {
    splitHours(from, dayFrom, segments);
    segments.push({ granularity: 'day', from: dayFrom, to: dayTo });
    splitHours(dayTo, to, segments);
  } else {
    splitHours(from, to, segments);
  }
  return segments;
}

function splitHours(from: number, to: number, out: BucketSegment[]) {
  if (to <= from) return;
  const hour = GRANULARITY_MINUTES.hour;
  const hourFrom = Math.ceil(from / hour) * hour;
  const hourTo = Math.floor(to / hour) * hour;
  if (hourFrom < hourTo) {
    pushMinutes(from, hourFrom, out);
    out.push({ granularity: 'hour', from: hourFrom, to: hourTo });
    pushMinutes(hourTo, to, out);
  } else {
    pushMinutes(from, to, out);
  }
}

function pushMinutes(from: number, to: number, out: BucketSegment[]) {
  if (from < to) out.push({ granularity: 'minute', from, to });
}
