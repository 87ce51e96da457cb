import type {
  Capability,
  Classification,
  DropReason,
  ModelType,
  RoutingCandidate,
  RoutingPolicy,
} from '@cellport/plugin-platform-common';
import {
  classificationRank,
  CompiledAgent,
  CompiledProfile,
  CompiledState,
  CompiledTenant,
} from './CompiledState';
import { AUTO_MODEL } from './validateState';
import { maxCostAt, maxOutputTokens, promptTokensAt } from './cost';
import { tooManyChoices } from './choices';
import {
  modelNotFound,
  refusalFor,
  RequestFields,
  RouteRefusal,
} from './routeRefusal';
import type {
  UpstreamCondition,
  UpstreamConditions,
} from './UpstreamConditions';

/** Fallbacks allowed to a caller whose key has no agent (and so no policy of its own). */
const DEFAULT_MAX_FALLBACKS = 2;

const QUALITY: Record<CompiledProfile['qualityTier'], number> = {
  frontier: 1,
  standard: 0.6,
  economy: 0.25,
};

/** Weight of quality against cost per policy; `balanced` uses the complexity score instead. */
const POLICY_QUALITY_WEIGHT: Partial<Record<RoutingPolicy, number>> = {
  quality: 0.8,
  cost: 0.2,
};

/** Who is asking: the tenant, and the agent when the key is bound to one. */
export interface RoutingCaller {
  tenant: CompiledTenant;
  agent?: CompiledAgent;
}

/** A request's routing features (`RoutingFeatures`) with the state and caller they apply to. */
export interface RouteInput {
  state: CompiledState;
  principal: RoutingCaller;
  /** The endpoint's model type: only profiles of this type may serve the request. */
  modelType: ModelType;
  requestedModel: string;
  classification: Classification;
  requiredCapabilities: Capability[];
  /** Realistic prompt size: only the context check uses it. */
  estimatedInputTokens: number;
  /**
   * The most tokens the prompt can come to under any tokenizer: costs (budget checks, what is
   * reserved) use it. Defaults to the estimate.
   */
  promptTokenBound?: number;
  /** Images in the prompt (`promptTokensAt`); none when unset. */
  promptImages?: number;
  maxOutputTokens?: number;
  /** Completions asked for (`n`); each may produce every output token. Defaults to 1. */
  choices?: number;
  complexity: number;
  /**
   * The monthly budget left as last seen by the limiter, if known: the tenant's, or its agent's
   * where that refused the request's reservation.
   */
  remainingBudgetUsd?: number;
  /** Requests in flight hold part of that budget: a refusal by it may pass once they settle. */
  budgetHeldInFlight?: boolean;
  /** When the request came (epoch ms): a budget refusal says when the budget starts again. */
  nowMs?: number;
  /** The caller's API's names for the prompt and the output limit; chat's when unset. */
  fields?: RequestFields;
}

export interface RoutePlan {
  policy: RoutingPolicy;
  requiredCapabilities: Capability[];
  candidates: RoutingCandidate[];
  /** Profiles to try, best first, already cut to 1 + the allowed fallbacks; empty if refused. */
  attempts: CompiledProfile[];
  /** The most any attempt may cost: what the limiter reserves. */
  maxCostUsd: number;
  /** The most tokens any attempt may count (prompt bound plus every output token): reserved too. */
  maxTokens: number;
  /** Set when no route is left: why, and how the caller is answered. */
  refusal?: RouteRefusal;
}

/** The request's capabilities and the agent's, without allocating when one side has none. */
function requiredCapabilities(
  request: readonly Capability[],
  agent: readonly Capability[] | undefined,
): Capability[] {
  if (!agent || agent.length === 0) return request as Capability[];
  if (request.length === 0) return agent as Capability[];
  return [...new Set([...request, ...agent])];
}

interface Kept {
  profile: CompiledProfile;
  status: UpstreamCondition;
  candidate: RoutingCandidate;
  score: number;
  fallback: boolean;
  cost: number;
}

/**
 * Orders primary candidates by score, best first, equal scores in the order considered; the
 * agent's fallback chain stays after them in its declared order (it was considered last).
 * An insertion sort in place: for a few dozen candidates it is several times cheaper than
 * `Array.prototype.sort` with a comparator, which took half of the router's time.
 */
function rankByScore(kept: Kept[]): void {
  let primaries = 0;
  while (primaries < kept.length && !kept[primaries].fallback) primaries++;
  for (let i = 1; i < primaries; i++) {
    const entry = kept[i];
    let j = i - 1;
    while (j >= 0 && kept[j].score < entry.score) {
      kept[j + 1] = kept[j];
      j--;
    }
    kept[j + 1] = entry;
  }
}

function refused(
  policy: RoutingPolicy,
  required: Capability[],
  refusal: RouteRefusal,
): RoutePlan {
  return {
    policy,
    requiredCapabilities: required,
    candidates: refusal.candidates,
    attempts: [],
    maxCostUsd: 0,
    maxTokens: 0,
    refusal,
  };
}

/**
 * Picks the model profiles a request may go to: a pure function of the desired state, the
 * request's routing features and the upstream conditions. Every profile in play becomes a
 * candidate that is kept or dropped with a reason; the kept ones are ranked by the agent's
 * policy. Fallbacks come from the same filtered list, so a fallback can never cross the
 * tenant's residency, classification or capability boundary. The gateway runs it on every
 * request, so everything that can be worked out ahead is precomputed in the compiled state.
 */
export function decideRoute(
  input: RouteInput,
  upstreams: UpstreamConditions,
): RoutePlan {
  const agent = input.principal.agent;
  const policy: RoutingPolicy = agent?.policy ?? 'balanced';
  const required = requiredCapabilities(
    input.requiredCapabilities,
    agent?.requiredCapabilities,
  );
  const primary = primaryProfiles(input);
  if (primary === undefined) {
    return refused(policy, required, modelNotFound(input.requestedModel));
  }
  const candidates: RoutingCandidate[] = [];
  const kept: Kept[] = [];
  const dataRank = classificationRank(input.classification);
  let wrongType = 0;
  for (const profile of primary) {
    if (profile.type !== input.modelType) wrongType++;
    consider(
      input,
      upstreams,
      profile,
      required,
      dataRank,
      false,
      candidates,
      kept,
    );
  }
  // A model of the other type is a mistake in the request, not something to route around:
  // the agent's fallbacks must not answer in its place.
  if (wrongType > 0 && wrongType === primary.length) {
    return refused(policy, required, refusalFor(candidates, input));
  }
  if (agent) {
    for (const profile of agent.fallbackProfiles) {
      if (!primary.includes(profile)) {
        consider(
          input,
          upstreams,
          profile,
          required,
          dataRank,
          true,
          candidates,
          kept,
        );
      }
    }
  }
  if (kept.length === 0) {
    return refused(policy, required, refusalFor(candidates, input));
  }
  score(kept, policy, input.complexity, agent?.preferredModels);
  rankByScore(kept);
  const limit = 1 + (agent?.maxFallbacks ?? DEFAULT_MAX_FALLBACKS);
  const attempts: CompiledProfile[] = [];
  let maxCostUsd = 0;
  let maxTokens = 0;
  const prompt = input.promptTokenBound ?? input.estimatedInputTokens;
  for (let rank = 0; rank < kept.length; rank++) {
    const entry = kept[rank];
    entry.candidate.rank = rank;
    entry.candidate.score = Math.round(entry.score * 1000) / 1000;
    if (rank < limit) {
      attempts.push(entry.profile);
      maxCostUsd = Math.max(maxCostUsd, entry.cost);
      maxTokens = Math.max(
        maxTokens,
        promptTokensAt(
          entry.profile,
          prompt,
          input.promptImages,
          input.requiredCapabilities.includes('tools'),
        ) +
          (input.choices ?? 1) *
            maxOutputTokens(entry.profile, input.maxOutputTokens),
      );
    }
  }
  return {
    policy,
    requiredCapabilities: required,
    candidates,
    attempts,
    maxCostUsd,
    maxTokens,
  };
}

/**
 * The profiles the requested model names, or for `auto` the agent's preferred profiles of
 * the endpoint's type, else every profile of that type the tenant may use. Undefined when
 * no profile the tenant may use has that name (another tenant's private model is not found),
 * or for `auto` when it may use none of the endpoint's type.
 */
function primaryProfiles(
  input: RouteInput,
): readonly CompiledProfile[] | undefined {
  const { principal, requestedModel } = input;
  if (requestedModel === AUTO_MODEL) {
    const preferred = principal.agent?.preferredProfiles[input.modelType];
    const profiles =
      preferred && preferred.length > 0
        ? preferred
        : principal.tenant.autoProfiles[input.modelType];
    // None of the endpoint's type: a gap in what the key may use, not an outage.
    return profiles && profiles.length > 0 ? profiles : undefined;
  }
  return principal.tenant.profilesByName.get(requestedModel);
}

function consider(
  input: RouteInput,
  upstreams: UpstreamConditions,
  profile: CompiledProfile,
  required: readonly Capability[],
  dataRank: number,
  fallback: boolean,
  candidates: RoutingCandidate[],
  kept: Kept[],
): void {
  const drop = boundaryDrop(input, profile, required, dataRank);
  if (drop !== undefined) {
    candidates.push(dropped(drop, input, profile, required, 0));
    return;
  }
  // Cost and health matter only to profiles inside the boundaries.
  const cost = maxCostAt(input, profile);
  const status = upstreams.get(profile.id);
  const late = runtimeDrop(input, cost, status);
  if (late !== undefined) {
    candidates.push(dropped(late, input, profile, required, cost));
    return;
  }
  const candidate: RoutingCandidate = {
    modelProfile: profile.id,
    kept: true,
  };
  candidates.push(candidate);
  kept.push({ profile, status, candidate, score: 0, fallback, cost });
}

function dropped(
  drop: DropReason,
  input: RouteInput,
  profile: CompiledProfile,
  required: readonly Capability[],
  cost: number,
): RoutingCandidate {
  return {
    modelProfile: profile.id,
    kept: false,
    dropReason: drop,
    detail: detail(drop, input, profile, required, cost),
  };
}

/**
 * The first check about what the request may use that a profile fails, in the order drop
 * reasons rank: type, allowlist, residency, classification, capabilities, context.
 */
function boundaryDrop(
  input: RouteInput,
  profile: CompiledProfile,
  required: readonly Capability[],
  dataRank: number,
): DropReason | undefined {
  const tenant = input.principal.tenant;
  if (profile.type !== input.modelType) return 'wrong-model-type';
  if (!tenant.allowed.has(profile.id)) return 'not-allowed';
  if (tenant.residency.size > 0 && !tenant.residency.has(profile.region)) {
    return 'residency';
  }
  if (dataRank > profile.ceilingRank) return 'classification';
  for (const capability of required) {
    if (!profile.featureSet.has(capability)) return 'missing-capability';
  }
  if (tooManyChoices(input, profile)) return 'missing-capability';
  if (contextNeeded(input, profile) > profile.contextLength) {
    return 'context-too-long';
  }
  return undefined;
}

/**
 * The prompt's realistic size plus the output the caller asked for, capped by the profile's
 * output limit as the upstream is asked for it. Without `max_tokens` the prompt alone counts
 * (the upstream is then asked for the profile's limit, which a prompt near the context may
 * not leave room for: that upstream refuses it).
 */
function contextNeeded(input: RouteInput, profile: CompiledProfile): number {
  return input.maxOutputTokens === undefined
    ? input.estimatedInputTokens
    : input.estimatedInputTokens +
        maxOutputTokens(profile, input.maxOutputTokens);
}

/** Then what the moment decides: budget left and circuit state. */
function runtimeDrop(
  input: RouteInput,
  cost: number,
  status: UpstreamCondition,
): DropReason | undefined {
  const runCap = input.principal.agent?.maxCostPerRunUsd;
  if (runCap !== undefined && cost > runCap) return 'budget';
  if (input.remainingBudgetUsd !== undefined && cost > input.remainingBudgetUsd)
    return 'budget';
  if (status.breaker.refusesCalls()) return 'circuit-open';
  return undefined;
}

/** The human-readable reason shown in the routing-decision explorer. */
function detail(
  drop: DropReason,
  input: RouteInput,
  profile: CompiledProfile,
  required: readonly Capability[],
  cost: number,
): string {
  const tenant = input.principal.tenant;
  switch (drop) {
    case 'wrong-model-type':
      return `${
        profile.type === 'embeddings' ? 'an embeddings' : 'a chat'
      } model; this endpoint serves ${input.modelType} models`;
    case 'not-allowed':
      return `not in tenant ${tenant.id}'s model allowlist`;
    case 'residency':
      return `region ${profile.region} outside ${tenant.residencyText}`;
    case 'classification':
      return `${input.classification} data above the profile's ceiling ${profile.maxClassification}`;
    case 'missing-capability': {
      const lacking = required.filter(c => !profile.featureSet.has(c));
      return lacking.length > 0
        ? `lacks ${lacking.join(', ')}`
        : `answers one completion, not n=${input.choices}`;
    }
    case 'context-too-long':
      return `needs ~${contextNeeded(input, profile)} tokens, context is ${
        profile.contextLength
      }`;
    case 'budget': {
      const runCap = input.principal.agent?.maxCostPerRunUsd;
      return runCap !== undefined && cost > runCap
        ? `may cost $${cost.toFixed(
            6,
          )}, above the agent's per-run cap $${runCap}`
        : `may cost $${cost.toFixed(6)}, above the budget left`;
    }
    default:
      return 'circuit breaker open after upstream failures';
  }
}

/**
 * Scores kept candidates. Quality and cheapness (relative to the cheapest candidate) are
 * weighted by policy: quality 0.8/0.2, cost 0.2/0.8, balanced by the complexity score.
 * Slow and busy upstreams lose up to 0.15 and 0.1; the agent's preferred order adds up to 0.05.
 */
function score(
  kept: Kept[],
  policy: RoutingPolicy,
  complexity: number,
  preferred: string[] | undefined,
): void {
  const qualityWeight = POLICY_QUALITY_WEIGHT[policy] ?? complexity;
  let slowest = 0;
  let cheapest = Infinity;
  for (const entry of kept) {
    slowest = Math.max(slowest, entry.status.latencyMs);
    cheapest = Math.min(cheapest, entry.profile.blendedPricePerMillion);
  }
  for (const entry of kept) {
    const status = entry.status;
    const price = entry.profile.blendedPricePerMillion;
    const cheapness = price === 0 ? 1 : cheapest / price;
    const latencyPenalty =
      slowest > 0 ? (0.15 * status.latencyMs) / slowest : 0;
    const loadPenalty = (0.1 * status.inFlight) / (status.inFlight + 10);
    let preference = 0;
    if (preferred && preferred.length > 0) {
      const index = preferred.indexOf(entry.profile.id);
      if (index >= 0)
        preference = (0.05 * (preferred.length - index)) / preferred.length;
    }
    entry.score =
      qualityWeight * QUALITY[entry.profile.qualityTier] +
      (1 - qualityWeight) * cheapness -
      latencyPenalty -
      loadPenalty +
      preference;
  }
}
