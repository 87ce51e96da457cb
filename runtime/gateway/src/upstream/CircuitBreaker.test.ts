import { CircuitBreaker } from './CircuitBreaker';

describe('CircuitBreaker', () => {
  let now = 0;
  const breaker = () =>
    new CircuitBreaker({ failureThreshold: 2, openMs: 1000, now: () => now });

  it('opens after consecutive failures and lets exactly one probe through when half-open', () => {
    now = 0;
    const b = breaker();
    b.onFailure();
    expect(b.state).toBe('closed');
    b.onFailure();
    expect(b.state).toBe('open');
    expect(b.tryAcquire()).toBe(false);
    now = 1000;
    expect(b.state).toBe('half-open');
    expect(b.refusesCalls()).toBe(false);
    expect(b.tryAcquire()).toBe(true);
    expect(b.tryAcquire()).toBe(false);
    expect(b.refusesCalls()).toBe(true);
    b.onSuccess();
    expect(b.state).toBe('closed');
  });

  it('reopens when the probe fails, and a success resets the failure count', () => {
    now = 0;
    const b = breaker();
    b.onFailure();
    b.onSuccess();
    b.onFailure();
    expect(b.state).toBe('closed');
    b.onFailure();
    now = 1000;
    expect(b.tryAcquire()).toBe(true);
    b.onFailure();
    expect(b.state).toBe('open');
    now = 1999;
    expect(b.state).toBe('open');
  });
});
