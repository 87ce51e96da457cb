import { DAY_MS } from '../rollups/timeRanges';
import { forecastMonthEnd, monthBounds } from './forecast';

describe('forecastMonthEnd', () => {
  const { start, end } = monthBounds(Date.UTC(2026, 10, 15));

  it('carries a steady rate to the end of the month', () => {
    // November: 30 days; 10 full days at $10 a day, at midnight of day 11.
    const forecast = forecastMonthEnd({
      monthStart: start,
      monthEnd: end,
      now: start + 10 * DAY_MS,
      dailyCosts: new Array(10).fill(10),
    });
    expect(forecast).toBeCloseTo(300);
  });

  it('follows a growing trend', () => {
    const forecast = forecastMonthEnd({
      monthStart: start,
      monthEnd: end,
      now: start + 10 * DAY_MS,
      dailyCosts: Array.from({ length: 10 }, (_, i) => i + 1),
    });
    // Days 11..30 cost 11..30: 55 so far + 410 to come.
    expect(forecast).toBeCloseTo(465);
  });

  it('uses the average rate in the first days', () => {
    const forecast = forecastMonthEnd({
      monthStart: start,
      monthEnd: end,
      now: start + DAY_MS / 2,
      dailyCosts: [5],
    });
    expect(forecast).toBeCloseTo(300);
  });

  it('knows month bounds in UTC', () => {
    expect(new Date(start).toISOString()).toBe('2026-11-01T00:00:00.000Z');
    expect(new Date(end).toISOString()).toBe('2026-12-01T00:00:00.000Z');
  });
});
