export type CircuitState = 'closed' | 'open' | 'half-open';

export interface CircuitBreakerOptions {
  /** Consecutive failures that open the circuit. */
  failureThreshold: number;
  /** How long an open circuit refuses calls before letting one probe through. */
  openMs: number;
  now: () => number;
}

/**
 * A per-upstream circuit breaker. Closed: calls flow, consecutive failures are counted. Open:
 * calls are refused until `openMs` has passed. Half-open: exactly one probe goes through; its
 * success closes the circuit, its failure opens it again for another `openMs`.
 */
export class CircuitBreaker {
  private current: CircuitState = 'closed';
  private failures = 0;
  private openedAt = 0;
  private probeInFlight = false;

  constructor(private readonly options: CircuitBreakerOptions) {}

  get state(): CircuitState {
    if (
      this.current === 'open' &&
      this.options.now() - this.openedAt >= this.options.openMs
    ) {
      return 'half-open';
    }
    return this.current;
  }

  /** Whether a call may go now; in half-open, the first caller takes the probe slot. */
  tryAcquire(): boolean {
    const state = this.state;
    if (state === 'closed') {
      return true;
    }
    if (state === 'half-open' && !this.probeInFlight) {
      this.current = 'half-open';
      this.probeInFlight = true;
      return true;
    }
    return false;
  }

  /** Whether the router should drop this upstream: open, or its one probe already out. */
  refusesCalls(): boolean {
    if (this.current === 'closed') {
      return false;
    }
    const state = this.state;
    return state === 'open' || (state === 'half-open' && this.probeInFlight);
  }

  onSuccess(): void {
    this.current = 'closed';
    this.failures = 0;
    this.probeInFlight = false;
  }

  onFailure(): void {
    this.failures += 1;
    if (
      this.current === 'half-open' ||
      this.failures >= this.options.failureThreshold
    ) {
      this.current = 'open';
      this.openedAt = this.options.now();
      this.probeInFlight = false;
    }
  }

  /** A call that ended without telling anything about the upstream (e.g. the client left). */
  onNeutral(): void {
    this.probeInFlight = false;
  }
}
