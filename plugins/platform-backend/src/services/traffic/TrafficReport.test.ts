import {
  countedBuckets,
  decomposeRange,
  MINUTE_MS,
} from '../rollups/timeRanges';
import { equalParts } from './TrafficReport';

/** Every minute's rollups kept (none purged). */
const ALL_KEPT = { minutesFrom: -Infinity, hoursFrom: -Infinity };

/** The minutes of rollups a range reads, each as many times as it is read. */
function minutesRead(range: { from: number; to: number }): number[] {
  return decomposeRange(countedBuckets(range, ALL_KEPT)).flatMap(segment => {
    const minutes = [];
    for (let m = segment.from; m < segment.to; m++) minutes.push(m);
    return minutes;
  });
}

describe('equalParts', () => {
  it('covers the range exactly, without overlap, with inner edges on whole minutes', () => {
    const range = {
      from: Date.UTC(2026, 11, 3, 9, 0, 17),
      to: Date.UTC(2026, 11, 3, 10, 7, 45),
    };
    const parts = equalParts(range, 7);
    expect(parts).toHaveLength(7);
    expect(parts[0].from).toBe(range.from);
    expect(parts[6].to).toBe(range.to);
    for (let i = 1; i < parts.length; i++) {
      expect(parts[i].from).toBe(parts[i - 1].to);
      expect(parts[i].from % 60_000).toBe(0);
    }
  });

  it.each([
    ['four parts of ten seconds', 10_000, 40_000, 4],
    ['sixty parts of thirty minutes', 10_000, 30 * MINUTE_MS, 60],
    ['six parts of two minutes', 10_000, 2 * MINUTE_MS, 6],
    ['twelve parts of an hour starting on the minute', 0, 60 * MINUTE_MS, 12],
  ])(
    'reads each minute of the range once across its parts (%s)',
    (_what, offsetMs, lengthMs, count) => {
      const from = Date.UTC(2026, 11, 5, 6, 13) + offsetMs;
      const range = { from, to: from + lengthMs };
      const parts = equalParts(range, count);
      // The parts' figures add up to the range's: no minute counted twice, none left out.
      expect(parts.flatMap(minutesRead).sort()).toEqual(
        minutesRead(range).sort(),
      );
    },
  );

  it('gives no parts for none asked', () => {
    expect(equalParts({ from: 0, to: 60_000 }, 0)).toEqual([]);
  });
});
