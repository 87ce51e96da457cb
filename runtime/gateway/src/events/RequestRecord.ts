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

  toEvents(totalLatencyMs: number): PlatformEvent[] {
    const base = {
      schemaVersion: EVENTS_SCHEMA_VERSION,
      requestId: this.requestId,
      timestamp: new Date(this.startedAtMs).toISOString(),
      gateway: this.scope.gateway,
      cell: this.scope.cell,
      tenant: this.scope.tenant,
      ...(this.scope.agent !== undefined ? { agent: this.scope.agent } : {}),
      stateVersion: this.scope.stateVersion,
    } as const;
    const decision: RoutingDecision = {
      ...base,
      id: `${this.requestId}-rd`,
      type: 'routing-decision',
      requestedModel: this.requestedModel,
      policy: this.policy,
      complexityScore: this.complexityScore,
      requiredCapabilities: this.requiredCapabilities,
      estimatedInputTokens: this.estimatedInputTokens,
      candidates: this.candidates,
      ...(this.chosen !== undefined ? { chosen: this.chosen } : {}),
      fallbacks: this.fallbacks,
      routerDecisionMs: round(this.routerDecisionMs),
      outcome: this.outcome,
      ...(this.errorClass !== undefined ? { errorClass: this.errorClass } : {}),
      ...(this.routeInput !== undefined
        ? { features: routingFeaturesOf(this.routeInput) }
        : {}),
    };
    const upstream = this.upstreamLatencyMs;
    const usage: UsageEvent = {
      ...base,
      id: `${this.requestId}-us`,
      type: 'usage',
      ...(this.chosen !== undefined ? { modelProfile: this.chosen } : {}),
      ...(this.provider !== undefined ? { provider: this.provider } : {}),
      stream: this.stream,
      inputTokens: this.inputTokens,
      outputTokens: this.outputTokens,
      tokensEstimated: this.tokensEstimated,
      costUsd: this.costUsd,
      cached: this.cached,
      gatewayOverheadMs: round(Math.max(0, totalLatencyMs - (upstream ?? 0))),
      ...(upstream !== undefined ? { upstreamLatencyMs: round(upstream) } : {}),
      ...(this.timeToFirstTokenMs !== undefined
        ? { timeToFirstTokenMs: round(this.timeToFirstTokenMs) }
        : {}),
      totalLatencyMs: round(totalLatencyMs),
      status: this.status,
      outcome: this.outcome,
      ...(this.errorClass !== undefined ? { errorClass: this.errorClass } : {}),
    };
    return [decision, usage];
  }
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
