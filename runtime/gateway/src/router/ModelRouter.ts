import type {
  Capability,
  Classification,
  DropReason,
  ModelType,
  RoutingCandidate,
  RoutingPolicy,
} from '@cellport/plugin-platform-common';
import { GatewayError } from '../http/GatewayError';
import type { Principal } from '../auth/ApiKeyAuthenticator';
import {
  classificationRank,
  CompiledProfile,
  CompiledState,
} from '../state/CompiledState';
import type {
  UpstreamHealth,
  UpstreamStatus,
} from '../upstream/UpstreamHealth';
import { maxOutputTokens, maxRequestCostUsd } from '../usage/cost';
import { refusalFor } from './routeRefusal';

/** The model name that lets the router choose among everything the caller may use. */
export const AUTO_MODEL = 'auto';

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

export interface RouteInput {
  state: CompiledState;
  principal: Principal;
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
  maxOutputTokens?: number;
  /** Completions asked for (`n`); each may produce every output token. Defaults to 1. */
  choices?: number;
  complexity: number;
  /** The tenant's remaining monthly budget as last seen by the limiter, if known. */
  remainingBudgetUsd?: number;
}

export interface RoutePlan {
  policy: RoutingPolicy;
  requiredCapabilities: Capability[];
  candidates: RoutingCandidate[];
  /** Profiles to try, best first, already cut to 1 + the allowed fallbacks. */
  attempts: CompiledProfile[];
  /** The most any attempt may cost: what the limiter reserves. */
  maxCostUsd: number;
  /** The most tokens any attempt may count (prompt bound plus every output token): reserved too. */
  maxTokens: number;
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

interface Kept {
  profile: CompiledProfile;
  status: UpstreamStatus;
  candidate: RoutingCandidate;
  score: number;
  fallback: boolean;
  cost: number;
}

/**
 * Picks the model profiles a request may go to. Every profile in play becomes a candidate that
 * is kept or dropped with a reason; the kept ones are ranked by the agent's policy. Fallbacks
 * come from the same filtered list, so a fallback can never cross the tenant's residency,
 * classification or capability boundary. It runs on every request: everything it can work
 * out ahead is precomputed in the compiled state.
 */
export class ModelRouter {
  constructor(private readonly health: UpstreamHealth) {}

  route(input: RouteInput): RoutePlan {
    const agent = input.principal.agent;
    const policy: RoutingPolicy = agent?.policy ?? 'balanced';
    const required = requiredCapabilities(
      input.requiredCapabilities,
      agent?.requiredCapabilities,
    );
    const primary = this.primaryProfiles(input);
    const candidates: RoutingCandidate[] = [];
    const kept: Kept[] = [];
    const dataRank = classificationRank(input.classification);
    let wrongType = 0;
    for (const profile of primary) {
      if (profile.type !== input.modelType) wrongType++;
      this.consider(
        input,
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
      throw refusalFor(candidates, input.requestedModel);
    }
    if (agent) {
      for (const profile of agent.fallbackProfiles) {
        if (!primary.includes(profile)) {
          this.consider(
            input,
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
      throw refusalFor(candidates, input.requestedModel);
    }
    this.score(kept, policy, input.complexity, agent?.preferredModels);
    rankByScore(kept);
    const limit = 1 + (agent?.maxFallbacks ?? DEFAULT_MAX_FALLBACKS);
    const attempts: CompiledProfile[] = [];
    let maxCostUsd = 0;
    let maxOutput = 0;
    for (let rank = 0; rank < kept.length; rank++) {
      const entry = kept[rank];
      entry.candidate.rank = rank;
      entry.candidate.score = Math.round(entry.score * 1000) / 1000;
      if (rank < limit) {
        attempts.push(entry.profile);
        maxCostUsd = Math.max(maxCostUsd, entry.cost);
        maxOutput = Math.max(
          maxOutput,
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
      maxTokens:
        (input.promptTokenBound ?? input.estimatedInputTokens) +
        (input.choices ?? 1) * maxOutput,
    };
  }

  /**
   * The profiles the requested model names, or for `auto` the agent's preferred profiles of
   * the endpoint's type, else every profile of that type the tenant may use.
   */
  private primaryProfiles(input: RouteInput): readonly CompiledProfile[] {
    const { state, principal, requestedModel } = input;
    if (requestedModel === AUTO_MODEL) {
      const preferred = principal.agent?.preferredProfiles[input.modelType];
      return preferred && preferred.length > 0
        ? preferred
        : principal.tenant.autoProfiles[input.modelType];
    }
    const named = state.profilesByName.get(requestedModel);
    if (!named) {
      throw new GatewayError(
        404,
        'model_not_found',
        `model "${requestedModel}" does not exist`,
        'not-found',
        { param: 'model' },
      );
    }
    return named;
  }

  private consider(
    input: RouteInput,
    profile: CompiledProfile,
    required: readonly Capability[],
    dataRank: number,
    fallback: boolean,
    candidates: RoutingCandidate[],
    kept: Kept[],
  ): void {
    const drop = this.boundaryDrop(input, profile, required, dataRank);
    if (drop !== undefined) {
      candidates.push(this.dropped(drop, input, profile, required, 0));
      return;
    }
    // Cost and health matter only to profiles inside the boundaries.
    const cost = maxRequestCostUsd(
      profile,
      input.promptTokenBound ?? input.estimatedInputTokens,
      input.maxOutputTokens,
      input.choices,
    );
    const status = this.health.get(profile.id);
    const late = this.runtimeDrop(input, cost, status);
    if (late !== undefined) {
      candidates.push(this.dropped(late, input, profile, required, cost));
      return;
    }
    const candidate: RoutingCandidate = {
      modelProfile: profile.id,
      kept: true,
    };
    candidates.push(candidate);
    kept.push({ profile, status, candidate, score: 0, fallback, cost });
  }

  private dropped(
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
      detail: this.detail(drop, input, profile, required, cost),
    };
  }

  /**
   * The first check about what the request may use that a profile fails, in the order drop
   * reasons rank: type, allowlist, residency, classification, capabilities, context.
   */
  private boundaryDrop(
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
    if (
      input.estimatedInputTokens + (input.maxOutputTokens ?? 0) >
      profile.contextLength
    ) {
      return 'context-too-long';
    }
    return undefined;
  }

  /** Then what the moment decides: budget left and circuit state. */
  private runtimeDrop(
    input: RouteInput,
    cost: number,
    status: UpstreamStatus,
  ): DropReason | undefined {
    const runCap = input.principal.agent?.maxCostPerRunUsd;
    if (runCap !== undefined && cost > runCap) return 'budget';
    if (
      input.remainingBudgetUsd !== undefined &&
      cost > input.remainingBudgetUsd
    )
      return 'budget';
    if (status.breaker.refusesCalls()) return 'circuit-open';
    return undefined;
  }

  /** The human-readable reason shown in the routing-decision explorer. */
  private detail(
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
      case 'missing-capability':
        return `lacks ${required
          .filter(c => !profile.featureSet.has(c))
          .join(', ')}`;
      case 'context-too-long':
        return `needs ~${
          input.estimatedInputTokens + (input.maxOutputTokens ?? 0)
        } tokens, context is ${profile.contextLength}`;
      case 'budget':
        return `may cost $${cost.toFixed(
          6,
        )}, above the agent's per-run cap or the budget left`;
      default:
        return 'circuit breaker open after upstream failures';
    }
  }

  /**
   * Scores kept candidates. Quality and cheapness (relative to the cheapest candidate) are
   * weighted by policy: quality 0.8/0.2, cost 0.2/0.8, balanced by the complexity score.
   * Slow and busy upstreams lose up to 0.15 and 0.1; the agent's preferred order adds up to 0.05.
   */
  private score(
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
}
