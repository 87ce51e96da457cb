import { niceTicks } from './niceTicks';

describe('niceTicks', () => {
  it('steps a share by quarters', () => {
    expect(niceTicks([0, 1])).toEqual({
      domain: [0, 1],
      ticks: [0, 0.25, 0.5, 0.75, 1],
    });
  });

  it('covers an overspent error budget with round negatives', () => {
    const { domain, ticks } = niceTicks([-1.37, 1]);
    expect(ticks).toEqual([-2, -1, 0, 1]);
    expect(domain).toEqual([-2, 1]);
    expect(niceTicks([-0.4, 1]).ticks).toEqual([-0.5, 0, 0.5, 1]);
  });

  it('widens an odd span to round ends and never prints float noise', () => {
    expect(niceTicks([0, 14.4]).ticks).toEqual([0, 5, 10, 15]);
    expect(niceTicks([0.9, 1]).ticks).toEqual([0.9, 0.925, 0.95, 0.975, 1]);
    expect(niceTicks([0, 0.3]).ticks).toEqual([0, 0.1, 0.2, 0.3]);
    expect(niceTicks([0, 1234]).ticks).toEqual([0, 500, 1000, 1500]);
  });
});
