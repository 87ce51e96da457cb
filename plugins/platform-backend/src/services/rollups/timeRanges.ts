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
 * Where the purges leave each finer rollup whole, in epoch milliseconds: minutes from an hour
 * boundary, hours from a day boundary (day rollups are kept for good).
 */
export interface RollupsKept {
  minutesFrom: number;
  hoursFrom: number;
}

/** What the retention policy's purges keep, seen from `now`. */
export function rollupsKept(
  now: number,
  retention: { minuteDays: number; hourDays: number },
): RollupsKept {
  return {
    minutesFrom:
      Math.ceil((now - retention.minuteDays * DAY_MS) / HOUR_MS) * HOUR_MS,
    hoursFrom: Math.ceil((now - retention.hourDays * DAY_MS) / DAY_MS) * DAY_MS,
  };
}

/**
 * The buckets a range counts: each bucket counts in the range that holds its start, so
 * ranges side by side never both count one (nor does a range inside one minute), and a range
 * that ends now counts the minute under way. Finer rollups are purged sooner: an edge where
 * minutes are gone falls on the hour, one where hours are gone on the day, so the range is read
 * from rollups that still hold it and loses nothing a purge removed.
 */
export function countedBuckets(
  range: TimeRange,
  kept: RollupsKept,
): BucketRange {
  const edge = (t: number) => {
    if (t < kept.hoursFrom) {
      return Math.ceil(t / DAY_MS) * GRANULARITY_MINUTES.day;
    }
    if (t < kept.minutesFrom) {
      return Math.ceil(t / HOUR_MS) * GRANULARITY_MINUTES.hour;
    }
    return Math.ceil(t / MINUTE_MS);
  };
  return { from: edge(range.from), to: edge(range.to) };
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
