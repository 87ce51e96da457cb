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

/**
 * Splits a range into the fewest rollup reads that cover it exactly: whole UTC days from the
 * day table, whole hours at its edges from the hour table, and minutes at the very edges from
 * the minute table. A 28-day window is one day read plus at most four small ones.
 * Ranges are rounded outward to the minute; an empty one reads nothing (rounded, it would read
 * a minute that the range beside it reads too).
 */
export function decomposeRange(range: TimeRange): BucketSegment[] {
  if (range.to <= range.from) return [];
  const from = Math.floor(range.from / MINUTE_MS);
  const to = Math.ceil(range.to / MINUTE_MS);
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

/**
 * Minute rollups are kept for a shorter time than hour and day rollups; a range reaching
 * further back than they do starts at the hour instead, so its head is read from hours.
 */
export function clampToMinuteRetention(
  range: TimeRange,
  minuteRetentionStart: number,
): TimeRange {
  if (range.from >= minuteRetentionStart) return range;
  return { from: Math.floor(range.from / HOUR_MS) * HOUR_MS, to: range.to };
}
