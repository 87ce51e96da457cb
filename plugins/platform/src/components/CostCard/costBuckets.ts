import { CostBreakdown } from '../../api';
import { BarBucket } from '../charts';

/** Series past this many are summed as "other", so the legend stays readable. */
export const MAX_SERIES = 6;
export const OTHER = 'other';
/** Requests that never reached a model or agent are grouped under an empty key. */
export const NONE_KEY = '(none)';
const nameOf = (key: string) => key || NONE_KEY;

/** The breakdown's series as stacked bars: one bucket per timestamp, top groups by cost. */
const STEP_MS = { hour: 3600_000, day: 24 * 3600_000 };

/**
 * Every hour or day of the range, as the backend starts them (UTC), so the chart spans the
 * whole range and shows quiet periods as gaps instead of leaving them out.
 */
export function bucketStarts(
  range: { from: string; to: string },
  granularity: 'hour' | 'day',
): string[] {
  const step = STEP_MS[granularity];
  const starts: string[] = [];
  const end = Date.parse(range.to);
  for (
    let t = Math.floor(Date.parse(range.from) / step) * step;
    t < end;
    t += step
  )
    starts.push(new Date(t).toISOString());
  return starts;
}

export function costBuckets(
  breakdown: CostBreakdown,
  labelOf: (iso: string) => string,
  starts: string[] = [],
): { keys: string[]; buckets: BarBucket[] } {
  const ranked = [...breakdown.groups].sort((a, b) => b.costUsd - a.costUsd);
  const top = new Set(ranked.slice(0, MAX_SERIES).map(g => nameOf(g.key)));
  const keys = [...top];
  if (ranked.length > MAX_SERIES) keys.push(OTHER);

  // Keyed by epoch milliseconds: the backend's ISO strings may differ in form, not in time.
  const byTime = new Map<number, Record<string, number>>(
    starts.map(s => [Date.parse(s), {}]),
  );
  for (const point of breakdown.series) {
    const key = top.has(nameOf(point.key)) ? nameOf(point.key) : OTHER;
    const time = Date.parse(point.timestamp);
    const values = byTime.get(time) ?? {};
    values[key] = (values[key] ?? 0) + point.costUsd;
    byTime.set(time, values);
  }
  const buckets = [...byTime.entries()]
    .sort(([a], [b]) => a - b)
    .map(([time, values]) => ({
      label: labelOf(new Date(time).toISOString()),
      values,
    }));
  return { keys, buckets };
}
