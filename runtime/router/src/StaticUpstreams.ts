import type {
  UpstreamCondition,
  UpstreamConditions,
} from './UpstreamConditions';

const closed = { refusesCalls: () => false };
const open = { refusesCalls: () => true };

const CALM: UpstreamCondition = { latencyMs: 0, inFlight: 0, breaker: closed };
const DOWN: UpstreamCondition = { latencyMs: 0, inFlight: 0, breaker: open };

/**
 * Upstream conditions fixed in advance: every upstream calm (circuit closed, unmeasured,
 * idle) except those named down, whose circuit refuses calls. Replays decide under it, so a
 * replay depends on the state and the recorded features only, never on the moment it runs.
 */
export class StaticUpstreams implements UpstreamConditions {
  /** No upstream down: what a replay of the unchanged state assumes. */
  static readonly calm: StaticUpstreams = new StaticUpstreams([]);

  private readonly down: ReadonlySet<string>;

  constructor(down: Iterable<string>) {
    this.down = new Set(down);
  }

  get(profileId: string): UpstreamCondition {
    return this.down.has(profileId) ? DOWN : CALM;
  }
}
