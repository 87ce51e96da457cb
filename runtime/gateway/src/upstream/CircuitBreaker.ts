export type CircuitState = 'closed' | 'open' | 'half-open';

export interface CircuitBreakerOptions {
  /** Consecutive failures that open the circuit. */
  failureThreshold: number;
  /**
   * How long an open circuit refuses calls before letting one probe through; also how long a
   * probe may hold its slot without reporting, and how long a half-open circuit waits for a
   * probe before it closes.
   */
  openMs: number;
  now: () => number;
}

/**
 * A per-upstream circuit breaker. Closed: calls flow, consecutive failures are counted. Open:
 * calls are refused until `openMs` has passed. Half-open: one probe goes through; its success
 * closes the circuit, its failure opens it again for another `openMs`.
 *
 * Half-open never lasts: a probe that has not reported within `openMs` gives its slot back
 * (whatever became of its request, the breaker must not wait on it for good), and a half-open
 * circuit that no request probes for `openMs` closes. The second matters to fallbacks, which
 * see no traffic while their primary is healthy: failures that old say nothing about the
 * upstream now, and a half-open fallback would take one request of the burst that needs it
 * when its primary dies.
 */
export class CircuitBreaker {
  private current: CircuitState = 'closed';
  private failures = 0;
  private openedAt = 0;
  /** When the probe slot was taken; undefined while it is free. */
  private probeTakenAt: number | undefined;
  /** Since when a half-open circuit has waited for a probe. */
  private probeFreeSince = 0;

  constructor(private readonly options: CircuitBreakerOptions) {}

  get state(): CircuitState {
    return this.current === 'closed' ? 'closed' : this.advance();
  }

  /** Whether a call may go now; in half-open, the first caller takes the probe slot. */
  tryAcquire(): boolean {
    if (this.current === 'closed') {
      return true;
    }
    const state = this.advance();
    if (state === 'closed') {
      return true;
    }
    if (state === 'half-open' && this.probeTakenAt === undefined) {
      this.probeTakenAt = this.options.now();
      return true;
    }
    return false;
  }

  /** Whether the router should drop this upstream: open, or its one probe already out. */
  refusesCalls(): boolean {
    if (this.current === 'closed') {
      return false;
    }
    const state = this.advance();
    return (
      state === 'open' ||
      (state === 'half-open' && this.probeTakenAt !== undefined)
    );
  }

  onSuccess(): void {
    this.current = 'closed';
    this.failures = 0;
    this.probeTakenAt = undefined;
  }

  onFailure(): void {
    this.failures += 1;
    if (
      this.current !== 'closed' ||
      this.failures >= this.options.failureThreshold
    ) {
      this.current = 'open';
      this.openedAt = this.options.now();
      this.probeTakenAt = undefined;
    }
  }

  /**
   * A call that ended without telling anything about the upstream (the client left, the
   * request was malformed): the probe slot is free again for the next request.
   */
  onNeutral(): void {
    if (this.probeTakenAt !== undefined) {
      this.probeTakenAt = undefined;
      this.probeFreeSince = this.options.now();
    }
  }

  /** Applies what time alone changes: open to half-open, a lost probe, an unprobed half-open. */
  private advance(): CircuitState {
    const now = this.options.now();
    const { openMs } = this.options;
    if (this.current === 'open' && now - this.openedAt >= openMs) {
      this.current = 'half-open';
      this.probeFreeSince = this.openedAt + openMs;
    }
    if (this.current === 'half-open') {
      if (
        this.probeTakenAt !== undefined &&
        now - this.probeTakenAt >= openMs
      ) {
        this.probeFreeSince = this.probeTakenAt + openMs;
        this.probeTakenAt = undefined;
      }
      if (
        this.probeTakenAt === undefined &&
        now - this.probeFreeSince >= openMs
      ) {
        this.current = 'closed';
        this.failures = 0;
      }
    }
    return this.current;
  }
}
