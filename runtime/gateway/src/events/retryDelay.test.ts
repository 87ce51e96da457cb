import { retryDelayMs } from './retryDelay';

describe('retryDelayMs', () => {
  it('grows exponentially up to the cap', () => {
    const top = () => 1;
    expect([1, 2, 3, 4].map(n => retryDelayMs(n, 30_000, top))).toEqual([
      200, 400, 800, 1600,
    ]);
    expect(retryDelayMs(50, 30_000, top)).toBe(30_000);
  });

  it('spreads replicas that failed together over the upper half of the wait', () => {
    // Ten replicas whose deliveries failed the same number of times do not retry in lockstep.
    let seed = 7;
    const random = () => {
      seed = (seed * 16807) % 2147483647;
      return seed / 2147483647;
    };
    const delays = Array.from({ length: 10 }, () =>
      retryDelayMs(20, 30_000, random),
    );
    expect(new Set(delays).size).toBeGreaterThan(5);
    for (const delay of delays) {
      expect(delay).toBeGreaterThanOrEqual(15_000);
      expect(delay).toBeLessThanOrEqual(30_000);
    }
    expect(retryDelayMs(20, 30_000, () => 0)).toBe(15_000);
  });
});
