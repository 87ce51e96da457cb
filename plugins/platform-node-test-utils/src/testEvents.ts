import {
  EVENTS_SCHEMA_VERSION,
  RoutingDecision,
  UsageEvent,
} from '@cellport/plugin-platform-common';

let sequence = 0;

/** A unique event id, readable in test failures. */
export function nextId(prefix = 'evt'): string {
  sequence += 1;
  return `${prefix}-${String(sequence).padStart(8, '0')}`;
}

/** A valid routing decision with the given fields replaced. */
export function makeDecision(
  overrides: Partial<RoutingDecision> = {},
): RoutingDecision {
  return {
    id: nextId('dec'),
    schemaVersion: EVENTS_SCHEMA_VERSION,
    type: 'routing-decision',
    requestId: nextId('req'),
    timestamp: '2026-11-20T10:15:30.000Z',
    gateway: 'gw-eu-west-shared-1-0',
    cell: 'eu-west-shared-1',
    tenant: 'northwind-retail',
    agent: 'checkout-assistant',
    stateVersion: 'v-abc123',
    requestedModel: 'gpt-4o-mini',
    policy: 'balanced',
    complexityScore: 0.3,
    requiredCapabilities: ['tools'],
    estimatedInputTokens: 800,
    candidates: [
      { modelProfile: 'azure-gpt-4o-mini-eu', kept: true, rank: 0, score: 0.9 },
      {
        modelProfile: 'gpt-4o-mini',
        kept: false,
        dropReason: 'residency',
        detail: 'region us outside pinned eu-west-1, swedencentral',
      },
    ],
    chosen: 'azure-gpt-4o-mini-eu',
    fallbacks: [],
    routerDecisionMs: 3.2,
    outcome: 'success',
    ...overrides,
  };
}

/** A valid usage event with the given fields replaced. */
export function makeUsage(overrides: Partial<UsageEvent> = {}): UsageEvent {
  return {
    id: nextId('use'),
    schemaVersion: EVENTS_SCHEMA_VERSION,
    type: 'usage',
    requestId: nextId('req'),
    timestamp: '2026-11-20T10:15:30.000Z',
    gateway: 'gw-eu-west-shared-1-0',
    cell: 'eu-west-shared-1',
    tenant: 'northwind-retail',
    agent: 'checkout-assistant',
    stateVersion: 'v-abc123',
    modelProfile: 'azure-gpt-4o-mini-eu',
    provider: 'azure-openai',
    stream: true,
    inputTokens: 800,
    outputTokens: 200,
    tokensEstimated: false,
    costUsd: 0.00024,
    cached: false,
    gatewayOverheadMs: 12,
    upstreamLatencyMs: 640,
    timeToFirstTokenMs: 310,
    totalLatencyMs: 660,
    status: 200,
    outcome: 'success',
    ...overrides,
  };
}

/** The decision and usage event one request yields, sharing request id, time and scope. */
export function makeRequest(
  scope: Partial<UsageEvent> = {},
  decision: Partial<RoutingDecision> = {},
): [RoutingDecision, UsageEvent] {
  const requestId = nextId('req');
  const usage = makeUsage({ requestId, ...scope });
  const common = {
    requestId,
    timestamp: usage.timestamp,
    cell: usage.cell,
    tenant: usage.tenant,
    agent: usage.agent,
    outcome: usage.outcome,
    errorClass: usage.errorClass,
    chosen: usage.modelProfile,
  };
  return [makeDecision({ ...common, ...decision }), usage];
}
