import { RoutingDecision, UsageEvent } from '@cellport/plugin-platform-common';
import { ColumnSpec, ColumnType } from '../../database/bulkWrite';

/*
 * How events map to rows of platform_routing_decisions and platform_usage_events. The
 * decision keeps its full body (candidates, fallbacks) as JSON for the explorer's detail
 * view, and the columns the explorer filters on.
 */

function dropReasons(decision: RoutingDecision): string {
  const reasons = new Set(
    decision.candidates.flatMap(c => (c.dropReason ? [c.dropReason] : [])),
  );
  return reasons.size ? `,${[...reasons].sort().join(',')},` : '';
}

function firstChoice(decision: RoutingDecision): string | null {
  for (const candidate of decision.candidates) {
    if (candidate.kept && candidate.rank === 0) return candidate.modelProfile;
  }
  return null;
}

/**
 * The features a replay reads, in columns. A decision from a gateway that predates recorded
 * features still has its complexity, prompt estimate and capabilities; the rest stays NULL.
 */
function featureColumns(decision: RoutingDecision) {
  const features = decision.features;
  return {
    features_version: features?.featuresVersion ?? null,
    model_type: features?.modelType ?? null,
    classification: features?.classification ?? null,
    complexity: features?.complexity ?? decision.complexityScore,
    prompt_tokens:
      features?.estimatedInputTokens ?? decision.estimatedInputTokens,
    prompt_token_bound: features?.promptTokenBound ?? null,
    prompt_images: features?.promptImages ?? null,
    max_output_tokens: features?.maxOutputTokens ?? null,
    choices: features?.choices ?? null,
    required_capabilities: (
      features?.requiredCapabilities ?? decision.requiredCapabilities
    ).join(','),
    remaining_budget_usd: features?.remainingBudgetUsd ?? null,
    first_choice: firstChoice(decision),
  };
}

export function decisionRow(decision: RoutingDecision, demo: boolean) {
  return {
    id: decision.id,
    request_id: decision.requestId,
    ts: Date.parse(decision.timestamp),
    gateway: decision.gateway,
    cell: decision.cell,
    tenant: decision.tenant,
    agent: decision.agent ?? null,
    requested_model: decision.requestedModel,
    chosen: decision.chosen ?? null,
    policy: decision.policy,
    outcome: decision.outcome,
    error_class: decision.errorClass ?? null,
    fell_back: decision.fallbacks.length > 0,
    drop_reasons: dropReasons(decision),
    router_ms: decision.routerDecisionMs,
    state_version: decision.stateVersion,
    demo,
    body: JSON.stringify(decision),
    ...featureColumns(decision),
  };
}

export function usageRow(event: UsageEvent, demo: boolean) {
  return {
    id: event.id,
    request_id: event.requestId,
    ts: Date.parse(event.timestamp),
    gateway: event.gateway,
    cell: event.cell,
    tenant: event.tenant,
    agent: event.agent ?? null,
    model_profile: event.modelProfile ?? null,
    provider: event.provider ?? null,
    outcome: event.outcome,
    error_class: event.errorClass ?? null,
    status: event.status,
    stream: event.stream,
    input_tokens: event.inputTokens,
    output_tokens: event.outputTokens,
    tokens_estimated: event.tokensEstimated,
    cost_usd: event.costUsd,
    cached: event.cached,
    gateway_overhead_ms: event.gatewayOverheadMs,
    upstream_ms: event.upstreamLatencyMs ?? null,
    ttft_ms: event.timeToFirstTokenMs ?? null,
    total_ms: event.totalLatencyMs,
    state_version: event.stateVersion,
    demo: demo || event.demo === true,
  };
}

function specs(types: Record<string, ColumnType>): ColumnSpec[] {
  return Object.entries(types).map(([name, type]) => ({ name, type }));
}

/** The columns of platform_routing_decisions that ingest writes, with their types. */
export const DECISION_COLUMNS = specs({
  id: 'text',
  request_id: 'text',
  ts: 'bigint',
  gateway: 'text',
  cell: 'text',
  tenant: 'text',
  agent: 'text',
  requested_model: 'text',
  chosen: 'text',
  policy: 'text',
  outcome: 'text',
  error_class: 'text',
  fell_back: 'boolean',
  drop_reasons: 'text',
  router_ms: 'double',
  state_version: 'text',
  demo: 'boolean',
  body: 'text',
  features_version: 'integer',
  model_type: 'text',
  classification: 'text',
  complexity: 'double',
  prompt_tokens: 'integer',
  prompt_token_bound: 'integer',
  prompt_images: 'integer',
  max_output_tokens: 'integer',
  choices: 'integer',
  required_capabilities: 'text',
  remaining_budget_usd: 'double',
  first_choice: 'text',
});

/** The columns of platform_usage_events that ingest writes, with their types. */
export const USAGE_COLUMNS = specs({
  id: 'text',
  request_id: 'text',
  ts: 'bigint',
  gateway: 'text',
  cell: 'text',
  tenant: 'text',
  agent: 'text',
  model_profile: 'text',
  provider: 'text',
  outcome: 'text',
  error_class: 'text',
  status: 'integer',
  stream: 'boolean',
  input_tokens: 'integer',
  output_tokens: 'integer',
  tokens_estimated: 'boolean',
  cost_usd: 'double',
  cached: 'boolean',
  gateway_overhead_ms: 'double',
  upstream_ms: 'double',
  ttft_ms: 'double',
  total_ms: 'double',
  state_version: 'text',
  demo: 'boolean',
});
