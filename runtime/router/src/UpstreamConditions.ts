/** What the router knows about one upstream (model profile) at the moment it decides. */
export interface UpstreamCondition {
  /** Mean latency to first byte as observed; 0 until measured. */
  readonly latencyMs: number;
  /** Requests to it in flight. */
  readonly inFlight: number;
  readonly breaker: {
    /** Whether its circuit refuses calls now (open; half-open routes, probe out or not). */
    refusesCalls(): boolean;
  };
}

/**
 * The moment's side of a decision, by model profile id: the gateway passes its live
 * `UpstreamHealth` (which has this shape), a replay passes `StaticUpstreams`.
 */
export interface UpstreamConditions {
  get(profileId: string): UpstreamCondition;
}
