import { AgentEntity, entityRefName } from '@cellport/plugin-platform-common';
import type { ReplayPairs, ReplayResult } from '../replay/replayTypes';
import type { CandidateChange } from './candidateChanges';
import type { Recommendation, RecommendationRisk } from './recommendationTypes';

const DAY_MS = 24 * 60 * 60 * 1000;
const MONTH_MS = 30 * DAY_MS;
/** New refusals beyond this share of the requests the current state serves make a candidate no saving at all. */
const MAX_NEW_REFUSAL_SHARE = 0.01;
/** Quality tiers from the highest down. */
const TIERS = ['frontier', 'standard', 'economy'];

export interface RecommendationInput {
  agent: AgentEntity;
  candidate: CandidateChange;
  /** The agent's decisions replayed under the state as it is. */
  baseline: ReplayResult;
  /** The same decisions replayed under the candidate, paired with the current state's routes. */
  proposed: ReplayResult;
  /** The newest decision the candidate's replay read, when it stopped at its limit. */
  through?: string;
  range: { from: number; to: number };
  /** Profiles the agent's routes may go to: its tenant's allowlist inside the boundaries. */
  usable: ReadonlySet<string>;
}

/**
 * The candidate's routes against the current state's, request by request: totals over the
 * replay would let requests it newly refuses cancel against requests it newly serves.
 */
function pairsOf(proposed: ReplayResult): ReplayPairs {
  if (!proposed.paired) {
    throw new Error(
      "proposed: the candidate's replay was not paired with the current state's routes",
    );
  }
  return proposed.paired;
}

const usd = (value: number) => Math.round(value * 1e6) / 1e6;
/** Dollars as a reader reads them: cents, or two significant digits below a cent. */
const usdText = (value: number) =>
  `$${value >= 0.01 ? value.toFixed(2) : value.toPrecision(2)}`;

/**
 * A candidate's replay as a recommendation, or why it is not one: its routes leave what the
 * agent may use (never proposed, whatever it saves), the reconciler would leave part of it
 * out, it refuses requests to save money, or it saves nothing.
 */
export function recommendationOf(
  input: RecommendationInput,
): { recommendation: Omit<Recommendation, 'rank'> } | { skipped: string } {
  const { agent, candidate, baseline, proposed, range } = input;
  const name = agent.metadata.name;
  const outside = [
    ...new Set(
      proposed.changedRoutes.sample
        .map(route => route.proposed)
        .filter((p): p is string => p !== undefined && !input.usable.has(p)),
    ),
  ];
  if (outside.length > 0) {
    return {
      skipped: `its replayed routes go to ${outside.join(
        ', ',
      )}, outside the profiles the agent's tenant may use`,
    };
  }
  const known = new Set(baseline.warnings);
  if (
    proposed.warnings.some(w => !known.has(w) && w.includes(`agent "${name}"`))
  ) {
    return {
      skipped:
        'the reconciler would leave part of it out of the gateway state (a profile outside the tenant’s boundaries)',
    };
  }
  const replayed = proposed.decisions.replayed;
  const pairs = pairsOf(proposed);
  const { currentServes, newRefusals, bothServe } = pairs;
  if (newRefusals > MAX_NEW_REFUSAL_SHARE * currentServes) {
    return {
      skipped: `it would refuse ${newRefusals} of the ${currentServes} requests that the current state serves`,
    };
  }
  // Like for like: a request the candidate refuses saves nothing, and one it newly serves
  // is a cost the current state does not have (the risk says what it adds).
  const saving = bothServe.currentUsd - bothServe.proposedUsd;
  if (!(usd(saving) > 0)) {
    return {
      skipped: `no saving: ${usdText(
        bothServe.proposedUsd,
      )} replayed against ${usdText(
        bothServe.currentUsd,
      )} under the current state, over the ${
        bothServe.decisions
      } requests both serve`,
    };
  }
  const truncated = proposed.decisions.truncated;
  const coveredMs =
    truncated && input.through !== undefined
      ? Math.max(Date.parse(input.through) - range.from, 1)
      : range.to - range.from;
  const monthlyFactor = MONTH_MS / coveredMs;
  return {
    recommendation: {
      agent: name,
      tenant: entityRefName(agent.spec.tenant),
      cell: entityRefName(agent.spec.cell),
      change: candidate,
      savingUsd: usd(saving),
      monthlySavingUsd: usd(saving * monthlyFactor),
      evidence: {
        from: proposed.scope.from,
        to: proposed.scope.to,
        decisionsReplayed: replayed,
        recordedUsd: usd(proposed.cost.recordedUsd),
        currentUsd: usd(baseline.cost.proposedUsd),
        proposedUsd: usd(proposed.cost.proposedUsd),
        bothServe,
        withoutUsage: proposed.cost.withoutUsage,
        truncated,
        measuredDays: Math.round((coveredMs / DAY_MS) * 100) / 100,
        monthlyFactor: Math.round(monthlyFactor * 1000) / 1000,
      },
      risk: riskOf(baseline, proposed, pairs),
    },
  };
}

/**
 * Requests moved to a lower tier, at least: for each tier, how many fewer requests are served
 * at or above it. Replays give the tier mix, not request-by-request pairs, so this is a bound.
 */
function lowerTier(
  current: Record<string, number>,
  proposed: Record<string, number>,
): number {
  let most = 0;
  let currentAbove = 0;
  let proposedAbove = 0;
  for (const tier of TIERS) {
    currentAbove += current[tier] ?? 0;
    proposedAbove += proposed[tier] ?? 0;
    most = Math.max(most, currentAbove - proposedAbove);
  }
  return most;
}

function riskOf(
  baseline: ReplayResult,
  proposed: ReplayResult,
  pairs: ReplayPairs,
): RecommendationRisk {
  const replayed = proposed.decisions.replayed;
  const { currentServes, newRefusals, newlyServed } = pairs;
  const qualityTiers = {
    current: baseline.qualityTiers.proposed,
    proposed: proposed.qualityTiers.proposed,
  };
  const lower = lowerTier(qualityTiers.current, qualityTiers.proposed);
  const latency = {
    ...(baseline.latency.proposedMeanMs !== undefined
      ? { currentMeanMs: baseline.latency.proposedMeanMs }
      : {}),
    ...(proposed.latency.proposedMeanMs !== undefined
      ? { proposedMeanMs: proposed.latency.proposedMeanMs }
      : {}),
  };
  const notes: string[] = [];
  if (newRefusals > 0) {
    notes.push(
      `${newRefusals} of the ${currentServes} requests the current state serves would be refused.`,
    );
  }
  if (newlyServed > 0) {
    notes.push(
      `${newlyServed} requests the current state refuses would be served, for ${usdText(
        pairs.newlyServedUsd,
      )} more: not in the saving.`,
    );
  }
  if (lower > 0) {
    notes.push(
      `At least ${lower} of ${replayed} requests would be served from a lower quality tier.`,
    );
  }
  notes.push(
    `${proposed.changedRoutes.byChange} of ${replayed} routes change from what happened.`,
  );
  if (
    latency.currentMeanMs !== undefined &&
    latency.proposedMeanMs !== undefined &&
    latency.proposedMeanMs > latency.currentMeanMs * 1.2
  ) {
    notes.push(
      `Expected upstream latency rises from ${latency.currentMeanMs} ms to ${latency.proposedMeanMs} ms.`,
    );
  }
  if (proposed.decisions.truncated) {
    notes.push(
      'The replay stopped at its limit: the saving is scaled from the part of the range it read.',
    );
  }
  let level: RecommendationRisk['level'] = 'low';
  if (lower > 0) level = 'medium';
  if (newRefusals > 0) level = 'high';
  return {
    level,
    newRefusals,
    newlyServed,
    refusals: proposed.refusals.proposed.map(({ code, count, example }) => ({
      code,
      count,
      example,
    })),
    qualityTiers,
    lowerTier: lower,
    changedRoutes: proposed.changedRoutes.byChange,
    sampleDecisionIds: proposed.changedRoutes.sample
      .filter(route => route.cause === 'change')
      .slice(0, 3)
      .map(route => route.decisionId),
    latency,
    notes,
  };
}
