import { FaultInjector } from './FaultInjector';

describe('FaultInjector', () => {
  it('applies a model-scoped fault only to that model', () => {
    const faults = new FaultInjector(1);
    faults.add({
      mode: 'outage',
      model: 'a',
      extraLatencyMs: 0,
      retryAfterSeconds: 1,
    });
    expect(faults.decide('a', 0)).toEqual({ kind: 'outage' });
    expect(faults.decide('b', 0)).toEqual({
      kind: 'none',
      extraLatencyMs: 0,
      cut: false,
    });
  });

  it('adds up slowness and lets the request go on', () => {
    const faults = new FaultInjector(1);
    faults.add({ mode: 'slow', extraLatencyMs: 100, retryAfterSeconds: 1 });
    faults.add({ mode: 'slow', extraLatencyMs: 50, retryAfterSeconds: 1 });
    expect(faults.decide('a', 0)).toEqual({
      kind: 'none',
      extraLatencyMs: 150,
      cut: false,
    });
  });

  it('draws the configured error rate from the seed, repeatably', () => {
    const draw = () => {
      const faults = new FaultInjector(99);
      return Array.from({ length: 200 }, () => faults.decide('a', 0.25).kind);
    };
    const first = draw();
    expect(first).toEqual(draw());
    const errors = first.filter(kind => kind === 'error').length;
    expect(errors).toBeGreaterThan(20);
    expect(errors).toBeLessThan(80);
  });
});
