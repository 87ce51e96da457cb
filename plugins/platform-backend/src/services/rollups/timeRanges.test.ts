import {
  countedBuckets,
  decomposeRange,
  DAY_MS,
  HOUR_MS,
  MINUTE_MS,
  rollupsKept,
} from './timeRanges';

describe('decomposeRange', () => {
  const day0 = Date.UTC(2026, 10, 1) / MINUTE_MS;
  const hour = HOUR_MS / MINUTE_MS;
  const day = DAY_MS / MINUTE_MS;

  it('reads whole days from the day table and the edges from hours and minutes', () => {
    const from = day0 + 5 * hour + 30;
    const to = day0 + 3 * day + 2 * hour + 10;
    const segments = decomposeRange({ from, to });
    expect(segments.map(s => s.granularity)).toEqual([
      'minute',
      'hour',
      'day',
      'hour',
      'minute',
    ]);
    // The segments tile the range without gaps or overlaps.
    let cursor = from;
    for (const segment of segments) {
      expect(segment.from).toBe(cursor);
      cursor = segment.to;
    }
    expect(cursor).toBe(to);
  });

  it('reads only minutes for a short range inside one hour', () => {
    const from = day0 + 10;
    expect(decomposeRange({ from, to: from + 5 })).toEqual([
      { granularity: 'minute', from, to: from + 5 },
    ]);
    expect(decomposeRange({ from, to: from })).toEqual([]);
  });

  it('reads an aligned day range as days only', () => {
    expect(decomposeRange({ from: day0, to: day0 + 28 * day })).toEqual([
      { granularity: 'day', from: day0, to: day0 + 28 * day },
    ]);
  });
});

describe('countedBuckets', () => {
  const now = Date.UTC(2026, 11, 3, 12, 20, 30);
  const kept = rollupsKept(now, { minuteDays: 7, hourDays: 400 });
  const at = (iso: string) => Date.parse(iso);
  const minute = (iso: string) => at(iso) / MINUTE_MS;

  it('counts each minute in the range that holds its start, so ranges side by side share none', () => {
    const halves = [
      { from: at('2026-12-03T10:10:00Z'), to: at('2026-12-03T10:10:30Z') },
      { from: at('2026-12-03T10:10:30Z'), to: at('2026-12-03T10:11:00Z') },
    ].map(range => countedBuckets(range, kept));
    expect(halves).toEqual([
      { from: minute('2026-12-03T10:10Z'), to: minute('2026-12-03T10:11Z') },
      { from: minute('2026-12-03T10:11Z'), to: minute('2026-12-03T10:11Z') },
    ]);
    // Inside one minute, after its start: nothing.
    const inside = countedBuckets(
      { from: at('2026-12-03T10:10:50Z'), to: at('2026-12-03T10:10:55Z') },
      kept,
    );
    expect(inside.to - inside.from).toBe(0);
    // A range that ends now counts the minute under way.
    expect(
      countedBuckets({ from: now - 5 * MINUTE_MS, to: now }, kept).to,
    ).toBe(minute('2026-12-03T12:21Z'));
  });

  it('falls on the hour before minute retention and on the day before hour retention, where those rollups are kept', () => {
    expect(kept).toEqual({
      minutesFrom: at('2026-11-26T13:00Z'),
      hoursFrom: at('2025-10-30T00:00Z'),
    });
    const tenDaysAgo = [
      { from: at('2026-11-23T09:30Z'), to: at('2026-11-23T10:30Z') },
      { from: at('2026-11-23T10:30Z'), to: at('2026-11-23T11:30Z') },
    ].map(range => countedBuckets(range, kept));
    expect(tenDaysAgo).toEqual([
      { from: minute('2026-11-23T10:00Z'), to: minute('2026-11-23T11:00Z') },
      { from: minute('2026-11-23T11:00Z'), to: minute('2026-11-23T12:00Z') },
    ]);
    // Past hour retention, edges fall on the day: the day rollups still hold it.
    expect(
      countedBuckets(
        { from: at('2025-10-01T06:00Z'), to: at('2025-10-02T06:00Z') },
        kept,
      ),
    ).toEqual({
      from: minute('2025-10-02T00:00Z'),
      to: minute('2025-10-03T00:00Z'),
    });
    // From before retention to now: hours up to it, minutes after.
    expect(
      countedBuckets({ from: at('2026-11-26T12:10Z'), to: now }, kept),
    ).toEqual({
      from: minute('2026-11-26T13:00Z'),
      to: minute('2026-12-03T12:21Z'),
    });
  });
});
