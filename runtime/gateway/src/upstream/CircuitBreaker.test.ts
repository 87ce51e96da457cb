import { CircuitBreaker, MAX_ASKED_OPEN_MS, NO_PERMIT } from './CircuitBreaker';

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
    expect(b.tryAcquire()).toBe(NO_PERMIT);
    now = 1000;
    expect(b.state).toBe('half-open');
    expect(b.refusesCalls()).toBe(false);
    expect(b.tryAcquire()).toBeGreaterThanOrEqual(0);
    expect(b.tryAcquire()).toBe(NO_PERMIT);
    expect(b.refusesCalls()).toBe(true);
    b.onSuccess();
    expect(b.state).toBe('closed');
  });

  it('stays open as long as its upstream asked (Retry-After) once failures open it, within bounds', () => {
    now = 0;
    const b = breaker();
    // One refusal alone, whatever it asks, does not open it: it may be the request's own.
    b.onFailure(b.tryAcquire(), 300);
    expect(b.state).toBe('closed');
    b.onFailure(b.tryAcquire(), 120);
    expect(b.state).toBe('open');
    // The last ask counts, not an older longer one.
    expect(b.refusesForMs()).toBe(120_000);
    now = 119_999;
    expect(b.refusesCalls()).toBe(true);
    expect(b.refusesForMs()).toBe(1);
    now = 120_000;
    expect(b.state).toBe('half-open');
    expect(b.refusesForMs()).toBe(0);
    // Its probe told to wait again reopens it for that long; asked less than openMs, openMs.
    b.onFailure(b.tryAcquire(), 30);
    expect(b.refusesForMs()).toBe(30_000);
    now = 150_000;
    b.onFailure(b.tryAcquire(), 0.5);
    expect(b.refusesForMs()).toBe(1000);
    now = 151_000;
    b.onSuccess(b.tryAcquire());
    expect(b.state).toBe('closed');
    // A refusal that asks nothing forgets an earlier ask; a day is cut to the bound.
    b.onFailure(b.tryAcquire(), 300);
    b.onFailure(b.tryAcquire());
    expect(b.refusesForMs()).toBe(1000);
    now = 152_000;
    b.onSuccess(b.tryAcquire());
    b.onFailure(b.tryAcquire());
    b.onFailure(b.tryAcquire(), 86_400);
    expect(b.refusesForMs()).toBe(MAX_ASKED_OPEN_MS);
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
    expect(b.tryAcquire()).toBeGreaterThanOrEqual(0);
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
    expect(b.tryAcquire()).toBeGreaterThanOrEqual(0);
    // The probe's request vanished without success, failure or neutral.
    now = 1999;
    expect(b.refusesCalls()).toBe(true);
    now = 2000;
    expect(b.refusesCalls()).toBe(false);
    expect(b.tryAcquire()).toBeGreaterThanOrEqual(0);
    b.onSuccess();
    expect(b.state).toBe('closed');
  });

  it('gives the probe slot back on a neutral end, to the very next request', () => {
    now = 0;
    const b = breaker();
    b.onFailure();
    b.onFailure();
    now = 1000;
    expect(b.tryAcquire()).toBeGreaterThanOrEqual(0);
    b.onNeutral();
    expect(b.state).toBe('half-open');
    expect(b.tryAcquire()).toBeGreaterThanOrEqual(0);
    expect(b.tryAcquire()).toBe(NO_PERMIT);
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
    expect(b.tryAcquire()).toBeGreaterThanOrEqual(0);
    now = 3500;
    b.onNeutral();
    now = 4499;
    expect(b.state).toBe('half-open');
    now = 4500;
    expect(b.state).toBe('closed');
  });

  it('counts only the calls of the current period: a late end of an older call changes nothing', () => {
    now = 0;
    const b = breaker();
    // Sent while closed, still out when the circuit opens.
    const early = b.tryAcquire();
    b.onFailure(b.tryAcquire());
    b.onFailure(b.tryAcquire());
    expect(b.state).toBe('open');
    // Its success says nothing of the upstream now: the circuit stays open.
    b.onSuccess(early);
    expect(b.state).toBe('open');
    now = 1000;
    const probe = b.tryAcquire();
    expect(probe).toBeGreaterThanOrEqual(0);
    // Its client leaving does not free the probe's slot: a second call would reach the
    // upstream while the probe is out.
    b.onNeutral(early);
    expect(b.tryAcquire()).toBe(NO_PERMIT);
    b.onFailure(early);
    expect(b.state).toBe('half-open');
    b.onSuccess(probe);
    expect(b.state).toBe('closed');
  });

  /** A half-open circuit whose first probe outlived its slot, and the probe let through next. */
  function probesOutlivingTheirSlot() {
    now = 0;
    const b = breaker();
    b.onFailure();
    b.onFailure();
    now = 1000;
    const slow = b.tryAcquire();
    now = 2000;
    const next = b.tryAcquire();
    now = 2500;
    return { b, slow, next };
  }

  it('lets a probe that outlived its slot (a long generation) close the circuit when it ends well', () => {
    const { b, slow, next } = probesOutlivingTheirSlot();
    expect(next).toBeGreaterThanOrEqual(0);
    b.onSuccess(slow);
    expect(b.state).toBe('closed');
    // The probe still out reports into a closed circuit: a period it was not sent in.
    b.onFailure(next);
    expect(b.state).toBe('closed');
  });

  it('lets a probe that outlived its slot reopen the circuit when it fails', () => {
    const { b, slow } = probesOutlivingTheirSlot();
    b.onFailure(slow);
    expect(b.state).toBe('open');
  });

  it('ignores a probe whose slot was freed once the circuit reopened, and its neutral end', () => {
    now = 0;
    const b = breaker();
    b.onFailure();
    b.onFailure();
    now = 1000;
    const lost = b.tryAcquire();
    now = 2000;
    const next = b.tryAcquire();
    expect(next).toBeGreaterThanOrEqual(0);
    b.onNeutral(lost);
    expect(b.tryAcquire()).toBe(NO_PERMIT);
    b.onFailure(next);
    expect(b.state).toBe('open');
    b.onSuccess(lost);
    expect(b.state).toBe('open');
  });
});
