import {
  Classification,
  ROUTING_FEATURES_VERSION,
  RoutingFeatures,
} from '@cellport/plugin-platform-common';
import type { CompiledState } from './CompiledState';
import type { RouteInput } from './decideRoute';

/**
 * The features a decision was made from, as its RoutingDecision records them. Called when
 * the decision's events are written, not while routing.
 */
export function routingFeaturesOf(
  input: Omit<RouteInput, 'state'>,
): RoutingFeatures {
  return {
    featuresVersion: ROUTING_FEATURES_VERSION,
    modelType: input.modelType,
    requestedModel: input.requestedModel,
    ...(input.principal.agent ? { agent: input.principal.agent.id } : {}),
    classification: input.classification,
    requiredCapabilities: input.requiredCapabilities,
    estimatedInputTokens: input.estimatedInputTokens,
    promptTokenBound: input.promptTokenBound ?? input.estimatedInputTokens,
    ...(input.promptImages ? { promptImages: input.promptImages } : {}),
    ...(input.maxOutputTokens !== undefined
      ? { maxOutputTokens: input.maxOutputTokens }
      : {}),
    choices: input.choices ?? 1,
    complexity: input.complexity,
    ...(input.remainingBudgetUsd !== undefined
      ? { remainingBudgetUsd: input.remainingBudgetUsd }
      : {}),
  };
}

/** A feature a decision did not record, and what a replay assumed in its place. */
export type MissingFeature =
  | 'modelType'
  | 'classification'
  | 'promptTokenBound'
  | 'maxOutputTokens'
  | 'choices'
  | 'remainingBudgetUsd';

/**
 * What a decision recorded, whatever its age: decisions from before `features` was recorded
 * still carry the requested model, complexity, capabilities and prompt estimate.
 */
export interface RecordedFeatures {
  featuresVersion?: number;
  modelType?: RoutingFeatures['modelType'];
  requestedModel: string;
  agent?: string;
  classification?: Classification;
  requiredCapabilities: RoutingFeatures['requiredCapabilities'];
  estimatedInputTokens: number;
  promptTokenBound?: number;
  promptImages?: number;
  maxOutputTokens?: number;
  choices?: number;
  complexity: number;
  remainingBudgetUsd?: number;
}

export type ReplayInput =
  | { input: RouteInput; missing: MissingFeature[] }
  | { unroutable: string };

/**
 * A recorded decision's features as the router's input under a (possibly changed) state.
 * Features an older decision lacks get the assumption that changes its route least: a chat
 * request, the tenant's highest classification, the prompt estimate as its bound, the
 * profile's own output cap, one completion, no budget check. `missing` names them. A
 * decision whose tenant or agent the state no longer has cannot be routed; `unroutable` says
 * why.
 */
export function replayInput(
  state: CompiledState,
  tenantId: string,
  recorded: RecordedFeatures,
): ReplayInput {
  const tenant = state.tenants.get(tenantId);
  if (!tenant) return { unroutable: `tenant ${tenantId} is not in the state` };
  let agent;
  if (recorded.agent !== undefined) {
    agent = state.agents.get(recorded.agent);
    if (!agent) {
      return { unroutable: `agent ${recorded.agent} is not in the state` };
    }
  }
  const missing: MissingFeature[] = [];
  const current = recorded.featuresVersion === ROUTING_FEATURES_VERSION;
  if (!current) {
    if (recorded.modelType === undefined) missing.push('modelType');
    if (recorded.classification === undefined) missing.push('classification');
    if (recorded.promptTokenBound === undefined)
      missing.push('promptTokenBound');
    if (recorded.maxOutputTokens === undefined) missing.push('maxOutputTokens');
    if (recorded.choices === undefined) missing.push('choices');
    if (recorded.remainingBudgetUsd === undefined)
      missing.push('remainingBudgetUsd');
  }
  return {
    input: {
      state,
      principal: { tenant, agent },
      modelType: recorded.modelType ?? 'chat',
      requestedModel: recorded.requestedModel,
      classification: recorded.classification ?? tenant.classification,
      requiredCapabilities: recorded.requiredCapabilities,
      estimatedInputTokens: recorded.estimatedInputTokens,
      promptTokenBound:
        recorded.promptTokenBound ?? recorded.estimatedInputTokens,
      promptImages: recorded.promptImages,
      maxOutputTokens: recorded.maxOutputTokens,
      choices: recorded.choices ?? 1,
      complexity: recorded.complexity,
      remainingBudgetUsd: recorded.remainingBudgetUsd,
    },
    missing,
  };
}
