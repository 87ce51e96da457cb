import { burnDown } from './burnDown';

describe('burnDown', () => {
  it("adds up each step's bad events against the budget the whole window allows", () => {
    // 99% over 1,000 requests allows 10 bad ones: 4, then 0, then 8 spend 40%, 40%, 120%.
    const points = burnDown({ target: 0.99 }, 1000, [
      { endMs: Date.UTC(2026, 10, 1), good: 296, total: 300 },
      { endMs: Date.UTC(2026, 10, 2), good: 300, total: 300 },
      { endMs: Date.UTC(2026, 10, 3), good: 392, total: 400 },
    ]);
    expect(points.map(p => p.timestamp)).toEqual([
      '2026-11-01T00:00:00.000Z',
      '2026-11-02T00:00:00.000Z',
      '2026-11-03T00:00:00.000Z',
    ]);
    [0.4, 0.4, 1.2].forEach((consumed, i) => {
      expect(points[i].consumedFraction).toBeCloseTo(consumed, 12);
      expect(points[i].remainingFraction).toBeCloseTo(1 - consumed, 12);
    });
  });

  it('spends nothing of a window without traffic', () => {
    expect(
      burnDown({ target: 0.999 }, 0, [{ endMs: 0, good: 0, total: 0 }]),
    ).toEqual([
      {
        timestamp: '1970-01-01T00:00:00.000Z',
        consumedFraction: 0,
        remainingFraction: 1,
      },
    ]);
  });
});
