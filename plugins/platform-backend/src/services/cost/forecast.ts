import { DAY_MS } from '../rollups/timeRanges';

/** Days needed before the month's trend is trusted over its plain average. */
const MIN_DAYS_FOR_TREND = 3;

/**
 * Month-end spend: what is spent so far plus the remaining days at the month's trend. The
 * trend is a least-squares line through the complete days' costs (so growth or decline
 * carries forward); with fewer than three complete days it is the average rate so far.
 *
 * @param dailyCosts - cost of each day of the month so far, the last one possibly partial
 */
export function forecastMonthEnd(options: {
  monthStart: number;
  monthEnd: number;
  now: number;
  dailyCosts: number[];
}): number {
  const { monthStart, monthEnd, now, dailyCosts } = options;
  const spent = dailyCosts.reduce((sum, c) => sum + c, 0);
  const elapsedDays = Math.max((now - monthStart) / DAY_MS, 1 / 24);
  const totalDays = (monthEnd - monthStart) / DAY_MS;
  const completeDays = Math.floor(elapsedDays);
  const complete = dailyCosts.slice(0, completeDays);

  const rateAt =
    complete.length >= MIN_DAYS_FOR_TREND
      ? linearTrend(complete)
      : () => spent / elapsedDays;

  let remaining = 0;
  for (let day = completeDays; day < totalDays; day++) {
    // Today counts only for the part still to come.
    const share = day === completeDays ? completeDays + 1 - elapsedDays : 1;
    remaining += Math.max(0, rateAt(day)) * share;
  }
  return spent + remaining;
}

/** What `forecastMonthEnd` rests on at `now`, in words. */
export function forecastBasis(monthStart: number, now: number): string {
  const completeDays = Math.floor((now - monthStart) / DAY_MS);
  return completeDays >= MIN_DAYS_FOR_TREND
    ? `the trend of ${completeDays} complete days`
    : `the average rate so far (fewer than ${MIN_DAYS_FOR_TREND} complete days)`;
}

function linearTrend(values: number[]): (x: number) => number {
  const n = values.length;
  const meanX = (n - 1) / 2;
  const meanY = values.reduce((s, v) => s + v, 0) / n;
  let numerator = 0;
  let denominator = 0;
  values.forEach((y, x) => {
    numerator += (x - meanX) * (y - meanY);
    denominator += (x - meanX) ** 2;
  });
  const slope = denominator === 0 ? 0 : numerator / denominator;
  return x => meanY + slope * (x - meanX);
}

/** UTC start of the month of `time`, and of the next. */
export function monthBounds(time: number): { start: number; end: number } {
  const d = new Date(time);
  return {
    start: Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1),
    end: Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1),
  };
}
