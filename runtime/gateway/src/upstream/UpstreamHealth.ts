import type { GatewayModelProfile } from '@cellport/plugin-platform-common';
import { CircuitBreaker, CircuitState } from './CircuitBreaker';
import { upstreamKey } from './upstreamKey';

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
  /** Each profile's upstream (`upstreamKey`) in the state in force. */
  private upstreamOf = new Map<string, string>();

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

  /**
   * Follows the state in force: a profile it removed, or points at another upstream (endpoint
   * or model), loses what was known of it, so its circuit starts closed: the failures, the
   * latency and the load were its old upstream's. An operator who fixes a broken profile's
   * endpoint gets it served by the next request, not after the open period.
   */
  follow(profiles: Iterable<GatewayModelProfile>): void {
    const upstreamOf = new Map<string, string>();
    for (const profile of profiles) {
      upstreamOf.set(profile.id, upstreamKey(profile));
    }
    for (const profileId of this.upstreams.keys()) {
      if (upstreamOf.get(profileId) !== this.upstreamOf.get(profileId)) {
        this.upstreams.delete(profileId);
      }
    }
    this.upstreamOf = upstreamOf;
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
