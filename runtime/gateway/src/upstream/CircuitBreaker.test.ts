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

  it('frees a probe slot whose request never reported, so the circuit cannot stay half-open', () => {
    now = 0;
    const b = breaker();
    b.onFailure();
    b.onFailure();
    now = 1000;
    expect(b.tryAcquire()).toBe(true);
    // The probe's request vanished without success, failure or neutral.
    now = 1999;
    expect(b.refusesCalls()).toBe(true);
    now = 2000;
    expect(b.refusesCalls()).toBe(false);
    expect(b.tryAcquire()).toBe(true);
    b.onSuccess();
    expect(b.state).toBe('closed');
  });

  it('gives the probe slot back on a neutral end, to the very next request', () => {
    now = 0;
    const b = breaker();
    b.onFailure();
    b.onFailure();
    now = 1000;
    expect(b.tryAcquire()).toBe(true);
    b.onNeutral();
    expect(b.state).toBe('half-open');
    expect(b.tryAcquire()).toBe(true);
    expect(b.tryAcquire()).toBe(false);
  });

  it('closes a half-open circuit that no request probes within openMs', () => {
    now = 0;
    const b = breaker();
    b.onFailure();
    b.onFailure();
    now = 1000;
    expect(b.state).toBe('half-open');
    now = 1999;
    expect(b.state).toBe('half-open');
    now = 2000;
    expect(b.state).toBe('closed');
    expect(b.refusesCalls()).toBe(false);
    // Closed with a clean count: it takes the threshold again to open it.
    b.onFailure();
    expect(b.state).toBe('closed');
    // A probe freed by a neutral end waits openMs again before the circuit closes.
    b.onFailure();
    now = 3000;
    expect(b.tryAcquire()).toBe(true);
    now = 3500;
    b.onNeutral();
    now = 4499;
    expect(b.state).toBe('half-open');
    now = 4500;
    expect(b.state).toBe('closed');
  });
});
