import { bucketLabel } from './bucketLabel';

describe('bucketLabel', () => {
  const at = '2026-11-23T08:00:00.000Z';
  it('labels by time, date and time, or date as the span grows', () => {
    expect(bucketLabel(at, 6 * 3600_000)).toBe('08:00');
    expect(bucketLabel(at, 24 * 3600_000)).toBe('11-23 08:00');
    expect(bucketLabel(at, 7 * 24 * 3600_000)).toBe('11-23');
    expect(bucketLabel('not a date', 3600_000)).toBe('');
  });
});
