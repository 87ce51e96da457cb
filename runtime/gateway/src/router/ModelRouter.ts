import type {
  Capability,
  Classification,
  DropReason,
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
import { maxRequestCostUsd } from '../usage/cost';
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
  requestedModel: string;
  classification: Classification;
  requiredCapabilities: Capability[];
  estimatedInputTokens: number;
  maxOutputTokens?: number;
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
    const { state, principal } = input;
    const agent = principal.agent;
    const policy: RoutingPolicy = agent?.policy ?? 'balanced';
    let required = input.requiredCapabilities;
    if (agent && agent.requiredCapabilities.length > 0) {
      required = [...new Set([...required, ...agent.requiredCapabilities])];
    }
    const primary = this.primaryProfiles(input);
    const candidates: RoutingCandidate[] = [];
    const kept: Kept[] = [];
    const dataRank = classificationRank(input.classification);
    for (const profile of primary) {
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
    const chain = agent?.fallbackChain;
    if (chain && chain.length > 0) {
      for (const id of chain) {
        const profile = state.profiles.get(id);
        if (profile && !primary.includes(profile)) {
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
    // Primary candidates by score, then the agent's fallback chain in its declared order
    // (the sort is stable).
    kept.sort(
      (a, b) =>
        Number(a.fallback) - Number(b.fallback) ||
        (a.fallback ? 0 : b.score - a.score),
    );
    const limit = 1 + (agent?.maxFallbacks ?? DEFAULT_MAX_FALLBACKS);
    const attempts: CompiledProfile[] = [];
    let maxCostUsd = 0;
    for (let rank = 0; rank < kept.length; rank++) {
      const entry = kept[rank];
      entry.candidate.rank = rank;
      entry.candidate.score = Math.round(entry.score * 1000) / 1000;
      if (rank < limit) {
        attempts.push(entry.profile);
        maxCostUsd = Math.max(maxCostUsd, entry.cost);
      }
    }
    return {
      policy,
      requiredCapabilities: required,
      candidates,
      attempts,
      maxCostUsd,
    };
  }

  /** The profiles the requested model names, or for `auto` the agent's or tenant's choice. */
  private primaryProfiles(input: RouteInput): readonly CompiledProfile[] {
    const { state, principal, requestedModel } = input;
    if (requestedModel === AUTO_MODEL) {
      const preferred = principal.agent?.preferredModels;
      if (preferred && preferred.length > 0) {
        return preferred
          .map(id => state.profiles.get(id)!)
          .filter(profile => !profile.embedding);
      }
      return principal.tenant.autoProfiles;
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
    required: Capability[],
    dataRank: number,
    fallback: boolean,
    candidates: RoutingCandidate[],
    kept: Kept[],
  ): void {
    const cost = maxRequestCostUsd(
      profile,
      input.estimatedInputTokens,
      input.maxOutputTokens,
    );
    const status = this.health.get(profile.id);
    const drop = this.dropReason(
      input,
      profile,
      required,
      dataRank,
      cost,
      status,
    );
    if (drop !== undefined) {
      candidates.push({
        modelProfile: profile.id,
        kept: false,
        dropReason: drop,
        detail: this.detail(drop, input, profile, required, cost),
      });
      return;
    }
    const candidate: RoutingCandidate = {
      modelProfile: profile.id,
      kept: true,
    };
    candidates.push(candidate);
    kept.push({ profile, status, candidate, score: 0, fallback, cost });
  }

  /** The first check a profile fails, in the order drop reasons rank. */
  private dropReason(
    input: RouteInput,
    profile: CompiledProfile,
    required: Capability[],
    dataRank: number,
    cost: number,
    status: UpstreamStatus,
  ): DropReason | undefined {
    const tenant = input.principal.tenant;
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
    required: Capability[],
    cost: number,
  ): string {
    const tenant = input.principal.tenant;
    switch (drop) {
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
