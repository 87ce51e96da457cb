import {
  formatBudgetLeft,
  formatBurnRate,
  formatLocalTime,
  formatMs,
  formatPercent,
  formatUsd,
} from './format';

describe('format', () => {
  it('writes numbers with their units', () => {
    expect(formatUsd(40000)).toBe('$40,000');
    expect(formatUsd(1250.5)).toBe('$1,251');
    expect(formatUsd(2500)).toBe('$2,500');
    expect(formatUsd(0.9094)).toBe('$0.91');
    expect(formatUsd(12.3)).toBe('$12.30');
    expect(formatUsd(0)).toBe('$0.00');
    expect(formatUsd(0.0053)).toBe('$0.0053');
    expect(formatUsd(0.0000188)).toBe('$0.000019');
    expect(formatUsd(0.5224)).toBe('$0.52');
    expect(formatMs(4.21)).toBe('4.2 ms');
    expect(formatMs(890)).toBe('890 ms');
    expect(formatMs(0.049)).toBe('0.05 ms');
    expect(formatMs(3000)).toBe('3.00 s');
    expect(formatPercent(0.9995)).toBe('99.95%');
    expect(formatBurnRate(14.4)).toBe('14.4×');
    expect(formatBurnRate(0.5)).toBe('0.50×');
    expect(formatMs(null)).toBe('—');
  });

  it('says an overspent error budget is exhausted instead of a huge negative percentage', () => {
    expect(formatBudgetLeft(0.807)).toBe('80.7%');
    expect(formatBudgetLeft(-2918)).toBe('exhausted (2919× spent)');
  });

  it("shows a deadline in the reader's time zone, named, and nothing for a broken one", () => {
    const expiry = '2026-12-01T00:00:00Z';
    expect(formatLocalTime(expiry, 'Europe/Paris')).toBe(
      '1 Dec 2026, 01:00:00 CET',
    );
    expect(formatLocalTime(expiry, 'America/New_York')).toBe(
      '30 Nov 2026, 19:00:00 GMT-5',
    );
    expect(formatLocalTime('not a date')).toBe('—');
  });
});
