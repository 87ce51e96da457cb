import { decomposeRange, DAY_MS, HOUR_MS, MINUTE_MS } from './timeRanges';

describe('decomposeRange', () => {
  const day0 = Date.UTC(2026, 10, 1);

  it('reads whole days from the day table and the edges from hours and minutes', () => {
    const from = day0 + 5 * HOUR_MS + 30 * MINUTE_MS;
    const to = day0 + 3 * DAY_MS + 2 * HOUR_MS + 10 * MINUTE_MS;
    const segments = decomposeRange({ from, to });
    expect(segments.map(s => s.granularity)).toEqual([
      'minute',
      'hour',
      'day',
      'hour',
      'minute',
    ]);
    // The segments tile the range without gaps or overlaps.
    let cursor = from / MINUTE_MS;
    for (const segment of segments) {
      expect(segment.from).toBe(cursor);
      cursor = segment.to;
    }
    expect(cursor).toBe(to / MINUTE_MS);
  });

  it('reads only minutes for a short range inside one hour', () => {
    const from = day0 + 10 * MINUTE_MS;
    expect(decomposeRange({ from, to: from + 5 * MINUTE_MS })).toEqual([
      {
        granularity: 'minute',
        from: from / MINUTE_MS,
        to: from / MINUTE_MS + 5,
      },
    ]);
    expect(decomposeRange({ from, to: from })).toEqual([]);
  });

  it('reads an aligned day range as days only', () => {
    expect(decomposeRange({ from: day0, to: day0 + 28 * DAY_MS })).toEqual([
      {
        granularity: 'day',
        from: day0 / MINUTE_MS,
        to: (day0 + 28 * DAY_MS) / MINUTE_MS,
      },
    ]);
  });
});
