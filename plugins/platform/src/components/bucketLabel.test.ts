import { bucketLabel } from './bucketLabel';

describe('bucketLabel', () => {
  const at = '2026-11-23T08:00:00.000Z';
  it('labels by time, date and time, or date as the span grows', () => {
    expect(bucketLabel(at, 6 * 3600_000, 'UTC')).toBe('08:00');
    expect(bucketLabel(at, 24 * 3600_000, 'UTC')).toBe('11-23 08:00');
    expect(bucketLabel(at, 7 * 24 * 3600_000, 'UTC')).toBe('11-23');
    expect(bucketLabel('not a date', 3600_000)).toBe('');
  });

  it("speaks the reader's time zone, the date included", () => {
    expect(bucketLabel(at, 24 * 3600_000, 'America/New_York')).toBe(
      '11-23 03:00',
    );
    expect(
      bucketLabel('2026-11-23T23:30:00.000Z', 24 * 3600_000, 'Asia/Tokyo'),
    ).toBe('11-24 08:30');
  });
});
