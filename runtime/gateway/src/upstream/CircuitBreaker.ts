export type CircuitState = 'closed' | 'open' | 'half-open';

/** What `tryAcquire` answers when the circuit refuses the call. */
export const NO_PERMIT = -1;

/**
 * The longest an upstream's `Retry-After` keeps its circuit open: a probe every five minutes
 * costs nothing, and an upstream that asks for a day (a quota gone, a misconfigured proxy) is
 * asked again well before; a probe that is told to wait again opens it again.
 */
export const MAX_ASKED_OPEN_MS = 300_000;

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
 * (whatever became of its request, the breaker must not wait on it for good) but keeps its say:
 * a long generation that ends well closes the circuit, or one probe after another would
 * outlive its slot under steady traffic and the circuit would never close. A half-open
 * circuit that no request probes for `openMs` closes. The second matters to fallbacks, which
 * see no traffic while their primary is healthy: failures that old say nothing about the
 * upstream now, and a half-open fallback would take one request of the burst that needs it
 * when its primary dies.
 *
 * An upstream that refuses calls and says when to come back (a 429 or a 503 with
 * `Retry-After`) keeps the circuit open, once its failures open it, for as long as its last
 * refusal asked (at most MAX_ASKED_OPEN_MS) rather than `openMs`: every call sent meanwhile would be refused
 * too, each costing its request a round trip before its fallback (Envoy's rate-limited retry
 * back-off, LiteLLM's cooldown). One refusal alone does not open it: a 429 may be the
 * request's own (larger than the key's tokens per minute), and one tenant's requests must not
 * close a profile to every tenant for minutes.
 *
 * Each call reports with the permit `tryAcquire` gave it, and only the calls of the circuit's
 * current period count: a request sent while the circuit was closed that ends after it opened
 * (a success closing a circuit just opened, a client leaving freeing the slot of a probe
 * still out) tells nothing about the upstream now.
 */
export class CircuitBreaker {
  private current: CircuitState = 'closed';
  private failures = 0;
  private openedAt = 0;
  /** How long the circuit stays open this time: `openMs`, or what the upstream asked for. */
  private openForMs: number;
  /** Until when the upstream's last refusal asked to be left alone (0: it did not). */
  private askedUntil = 0;
  /** When the probe slot was taken; undefined while it is free. */
  private probeTakenAt: number | undefined;
  /** Since when a half-open circuit has waited for a probe. */
  private probeFreeSince = 0;
  /** Bumped when the circuit opens and when a probe is let through: permits of an older one are stale. */
  private epoch = 0;
  /** The epoch of the half-open period's first probe: any probe since may close or reopen it. */
  private probesFrom = 0;

  constructor(private readonly options: CircuitBreakerOptions) {
    this.openForMs = options.openMs;
  }

  get state(): CircuitState {
    return this.current === 'closed' ? 'closed' : this.advance();
  }

  /**
   * Whether a call may go now: a permit (`>= 0`) to report its end with, or `NO_PERMIT`. In
   * half-open, the first caller takes the probe slot. A number, not an object: it is taken on
   * every request.
   */
  tryAcquire(): number {
    if (this.current === 'closed' || this.advance() === 'closed') {
      return this.epoch * 2;
    }
    if (this.current === 'half-open' && this.probeTakenAt === undefined) {
      this.probeTakenAt = this.options.now();
      this.epoch += 1;
      return this.epoch * 2 + 1;
    }
    return NO_PERMIT;
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

  /**
   * How long until the circuit lets a call through again: 0 when it does now; while its
   * probe is out, until the probe's slot is freed at the latest.
   */
  refusesForMs(): number {
    if (!this.refusesCalls()) return 0;
    const now = this.options.now();
    return this.current === 'open'
      ? this.openedAt + this.openForMs - now
      : this.probeTakenAt! + this.options.openMs - now;
  }

  /** `permit` as `tryAcquire` gave it; left out, a call of the current period (tests). */
  onSuccess(permit = this.currentPermit()): void {
    if (!this.counts(permit, true)) return;
    this.current = 'closed';
    this.failures = 0;
    this.askedUntil = 0;
    this.probeTakenAt = undefined;
  }

  /** `retryAfterSeconds`: how long the upstream asked callers to wait, when it said. */
  onFailure(permit = this.currentPermit(), retryAfterSeconds?: number): void {
    if (!this.counts(permit, true)) return;
    this.failures += 1;
    const now = this.options.now();
    // The last ask, not the longest: an old refusal's long wait (one tenant's request too
    // large for the key) must not outlast what the upstream says now.
    this.askedUntil =
      retryAfterSeconds !== undefined && retryAfterSeconds > 0
        ? now + Math.min(MAX_ASKED_OPEN_MS, retryAfterSeconds * 1000)
        : 0;
    if (
      this.current !== 'closed' ||
      this.failures >= this.options.failureThreshold
    ) {
      this.current = 'open';
      this.openedAt = now;
      this.openForMs = Math.max(this.options.openMs, this.askedUntil - now);
      this.probeTakenAt = undefined;
      this.epoch += 1;
    }
  }

  /**
   * A call that ended without telling anything about the upstream (the client left, the
   * request was malformed): if it was the probe, its slot is free again for the next request.
   */
  onNeutral(permit = this.currentPermit()): void {
    if (this.probeTakenAt !== undefined && this.counts(permit) && permit & 1) {
      this.probeTakenAt = undefined;
      this.probeFreeSince = this.options.now();
    }
  }

  /**
   * A call of the current period: closed and not reopened since, or the probe now out; with
   * `anyProbe`, for a verdict, also a probe of this half-open period whose slot was freed.
   */
  private counts(permit: number, anyProbe = false): boolean {
    if (permit < 0) return false;
    const epoch = permit >> 1;
    if ((permit & 1) === 0) {
      return epoch === this.epoch && this.current === 'closed';
    }
    if (this.current !== 'half-open') return false;
    return anyProbe
      ? epoch >= this.probesFrom
      : epoch === this.epoch && this.probeTakenAt !== undefined;
  }

  private currentPermit(): number {
    return this.epoch * 2 + (this.current === 'closed' ? 0 : 1);
  }

  /** Applies what time alone changes: open to half-open, a lost probe, an unprobed half-open. */
  private advance(): CircuitState {
    const now = this.options.now();
    const { openMs } = this.options;
    if (this.current === 'open' && now - this.openedAt >= this.openForMs) {
      this.current = 'half-open';
      this.probeFreeSince = this.openedAt + this.openForMs;
      this.probesFrom = this.epoch + 1;
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
