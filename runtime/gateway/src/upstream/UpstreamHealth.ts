import { CircuitBreaker, CircuitState } from './CircuitBreaker';

/** What the router knows about one upstream (model profile) right now. */
export interface UpstreamStatus {
  breaker: CircuitBreaker;
  /** Exponentially weighted mean latency to first byte; 0 until measured. */
  latencyMs: number;
  inFlight: number;
}

/**
 * Live health of every upstream: circuit breaker, observed latency and in-flight load, keyed
 * by model profile id. Shared by the router (to drop and rank) and the request path (to record).
 */
export class UpstreamHealth {
  private readonly upstreams = new Map<string, UpstreamStatus>();

  constructor(
    private readonly options: {
      failureThreshold: number;
      openMs: number;
      now: () => number;
    } = {
      failureThreshold: 5,
      openMs: 10_000,
      now: Date.now,
    },
  ) {}

  get(profileId: string): UpstreamStatus {
    let status = this.upstreams.get(profileId);
    if (!status) {
      status = {
        breaker: new CircuitBreaker(this.options),
        latencyMs: 0,
        inFlight: 0,
      };
      this.upstreams.set(profileId, status);
    }
    return status;
  }

  recordLatency(profileId: string, latencyMs: number): void {
    const status = this.get(profileId);
    status.latencyMs =
      status.latencyMs === 0
        ? latencyMs
        : status.latencyMs * 0.8 + latencyMs * 0.2;
  }

  states(): Array<{ profileId: string; state: CircuitState }> {
    return [...this.upstreams].map(([profileId, status]) => ({
      profileId,
      state: status.breaker.state,
    }));
  }
}
