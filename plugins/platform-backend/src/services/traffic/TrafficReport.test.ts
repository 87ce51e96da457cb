import { equalParts } from './TrafficReport';

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

  it('gives no parts for none asked', () => {
    expect(equalParts({ from: 0, to: 60_000 }, 0)).toEqual([]);
  });
});
