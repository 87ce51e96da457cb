import {
  EVENTS_SCHEMA_VERSION,
  ErrorClass,
  FallbackAttempt,
  Outcome,
  PlatformEvent,
  RoutingCandidate,
  RoutingDecision,
  RoutingPolicy,
  Capability,
  UsageEvent,
} from '@cellport/plugin-platform-common';
import { RouteInput, routingFeaturesOf } from '@cellport/router';

/**
 * Everything one request learns on its way, filled in as it goes; at the end it becomes the
 * request's RoutingDecision and UsageEvent. Their ids derive from the request id, so a
 * redelivered event is recognised as the same record by the portal.
 */
export class RequestRecord {
  requestedModel = 'unknown';
  policy: RoutingPolicy = 'balanced';
  complexityScore = 0;
  requiredCapabilities: Capability[] = [];
  estimatedInputTokens = 0;
  candidates: RoutingCandidate[] = [];
  /** What the router was asked, recorded as the decision's features; unset if never routed. */
  routeInput?: Omit<RouteInput, 'state'>;
  chosen?: string;
  provider?: string;
  fallbacks: FallbackAttempt[] = [];
  routerDecisionMs = 0;
  stream = false;
  inputTokens = 0;
  outputTokens = 0;
  tokensEstimated = false;
  costUsd = 0;
  cached = false;
  upstreamLatencyMs?: number;
  timeToFirstTokenMs?: number;
  status = 200;
  outcome: Outcome = 'success';
  errorClass?: ErrorClass;

  constructor(
    readonly requestId: string,
    readonly startedAtMs: number,
    readonly scope: {
      gateway: string;
      cell: string;
      tenant: string;
      agent?: string;
      stateVersion: string;
    },
  ) {}

  fail(status: number, errorClass: ErrorClass): void {
    this.status = status;
    this.errorClass = errorClass;
    if (errorClass === 'client-cancelled') this.outcome = 'cancelled';
    else this.outcome = status >= 500 ? 'error' : 'rejected';
  }

  /**
   * Two object literals with the optional fields set afterwards, rather than object spreads:
   * this runs on every request, and the spreads' temporary objects were most of its cost
   * (bench/gateway).
   */
  toEvents(totalLatencyMs: number): PlatformEvent[] {
    const { scope, requestId } = this;
    const timestamp = new Date(this.startedAtMs).toISOString();
    const decision: RoutingDecision = {
      schemaVersion: EVENTS_SCHEMA_VERSION,
      id: `${requestId}-rd`,
      type: 'routing-decision',
      requestId,
      timestamp,
      gateway: scope.gateway,
      cell: scope.cell,
      tenant: scope.tenant,
      stateVersion: scope.stateVersion,
      requestedModel: this.requestedModel,
      policy: this.policy,
      complexityScore: this.complexityScore,
      requiredCapabilities: this.requiredCapabilities,
      estimatedInputTokens: this.estimatedInputTokens,
      candidates: this.candidates,
      fallbacks: this.fallbacks,
      routerDecisionMs: round(this.routerDecisionMs),
      outcome: this.outcome,
    };
    const upstream = this.upstreamLatencyMs;
    const usage: UsageEvent = {
      schemaVersion: EVENTS_SCHEMA_VERSION,
      id: `${requestId}-us`,
      type: 'usage',
      requestId,
      timestamp,
      gateway: scope.gateway,
      cell: scope.cell,
      tenant: scope.tenant,
      stateVersion: scope.stateVersion,
      stream: this.stream,
      inputTokens: this.inputTokens,
      outputTokens: this.outputTokens,
      tokensEstimated: this.tokensEstimated,
      costUsd: this.costUsd,
      cached: this.cached,
      gatewayOverheadMs: round(Math.max(0, totalLatencyMs - (upstream ?? 0))),
      totalLatencyMs: round(totalLatencyMs),
      status: this.status,
      outcome: this.outcome,
    };
    if (scope.agent !== undefined) {
      decision.agent = scope.agent;
      usage.agent = scope.agent;
    }
    if (this.chosen !== undefined) {
      decision.chosen = this.chosen;
      usage.modelProfile = this.chosen;
    }
    if (this.errorClass !== undefined) {
      decision.errorClass = this.errorClass;
      usage.errorClass = this.errorClass;
    }
    if (this.routeInput !== undefined) {
      decision.features = routingFeaturesOf(this.routeInput);
    }
    if (this.provider !== undefined) usage.provider = this.provider;
    if (upstream !== undefined) usage.upstreamLatencyMs = round(upstream);
    if (this.timeToFirstTokenMs !== undefined) {
      usage.timeToFirstTokenMs = round(this.timeToFirstTokenMs);
    }
    return [decision, usage];
  }
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
