import type {
  Capability,
  Classification,
  ModelType,
} from '@cellport/plugin-platform-common';
import {
  CompiledProfile,
  CompiledState,
  costUsd,
  decideRoute,
  MissingFeature,
  RecordedFeatures,
  replayInput,
  RoutePlan,
  UpstreamConditions,
} from '@cellport/router';
import type { StoredDecision } from './DecisionStream';
import type {
  AgentCost,
  ChangedRoute,
  DifferenceCause,
  ReplayPairs,
  ReplayResult,
} from './replayTypes';
import { roundUsd } from '../cost/usd';

/** Changed routes kept per replay: a sample, bounded whatever the range. */
export const SAMPLE_SIZE = 25;

const NO_AGENT = '(no agent)';

/** The state a side of the replay decides under. */
export interface ReplaySide {
  state: CompiledState;
  upstreams: UpstreamConditions;
}

type Replayed =
  | { plan: RoutePlan; missing: MissingFeature[] }
  | { unroutable: string };

/** The profile a replayed route goes to first; undefined when it is refused. */
function firstAttempt(outcome: Replayed): CompiledProfile | undefined {
  return 'plan' in outcome ? outcome.plan.attempts[0] : undefined;
}

/** A stable pseudo-random rank per decision id: the sample is the lowest ranks, deterministic. */
function sampleRank(id: string): number {
  let h = 2166136261;
  for (let i = 0; i < id.length; i++)
    h = Math.imul(h ^ id.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** A bounded sample: the entries of lowest rank seen. */
class Sample {
  private readonly entries: Array<{ rank: number; route: ChangedRoute }> = [];

  offer(id: string, build: () => ChangedRoute): void {
    const rank = sampleRank(id);
    if (this.entries.length < SAMPLE_SIZE) {
      this.entries.push({ rank, route: build() });
      return;
    }
    let worst = 0;
    for (let i = 1; i < this.entries.length; i++) {
      if (this.entries[i].rank > this.entries[worst].rank) worst = i;
    }
    if (rank < this.entries[worst].rank) {
      this.entries[worst] = { rank, route: build() };
    }
  }

  routes(): ChangedRoute[] {
    return this.entries
      .map(entry => entry.route)
      .sort((a, b) => (a.timestamp < b.timestamp ? -1 : 1));
  }
}

/** A decision's recorded tokens at a profile's prices. */
function priced(profile: CompiledProfile, decision: StoredDecision): number {
  return costUsd(
    profile,
    decision.inputTokens ?? 0,
    decision.outputTokens ?? 0,
  );
}

/**
 * Each decision's route under the current state against its route under the change, request
 * by request: sums over the whole replay would let requests the change newly refuses cancel
 * against requests it newly serves.
 */
class Pairs {
  private currentServes = 0;
  private newRefusals = 0;
  private newlyServed = 0;
  private newlyServedUsd = 0;
  private readonly bothServe = { decisions: 0, currentUsd: 0, proposedUsd: 0 };

  add(
    decision: StoredDecision,
    current: CompiledProfile | undefined,
    proposed: CompiledProfile | undefined,
  ): void {
    const usage = decision.costUsd !== null;
    if (current) this.currentServes++;
    if (current && !proposed) {
      this.newRefusals++;
    } else if (!current && proposed) {
      this.newlyServed++;
      if (usage) this.newlyServedUsd += priced(proposed, decision);
    } else if (current && proposed && usage) {
      this.bothServe.decisions++;
      this.bothServe.currentUsd += priced(current, decision);
      this.bothServe.proposedUsd += priced(proposed, decision);
    }
  }

  result(round: (usd: number) => number): ReplayPairs {
    return {
      currentServes: this.currentServes,
      newRefusals: this.newRefusals,
      newlyServed: this.newlyServed,
      newlyServedUsd: round(this.newlyServedUsd),
      bothServe: {
        decisions: this.bothServe.decisions,
        currentUsd: round(this.bothServe.currentUsd),
        proposedUsd: round(this.bothServe.proposedUsd),
      },
    };
  }
}

function bump<K extends string>(
  counts: Partial<Record<K, number>>,
  key: K,
): void {
  counts[key] = (counts[key] ?? 0) + 1;
}

/**
 * Replays stored decisions one batch at a time and keeps only sums, counts and bounded
 * samples: its memory does not grow with the number of decisions (only with agents and
 * profiles). Both sides are routed by `@cellport/router`'s `decideRoute`, as the gateway does.
 */
export class ReplayTally {
  private read = 0;
  private replayed = 0;
  private notRouted = 0;
  private featuresMissing = 0;
  private readonly missingByFeature: Partial<Record<MissingFeature, number>> =
    {};
  private recordedUsd = 0;
  private proposedUsd = 0;
  private withoutUsage = 0;
  private readonly agents = new Map<string, AgentCost>();
  private readonly recordedTiers: Record<string, number> = {};
  private readonly proposedTiers: Record<string, number> = {};
  private readonly recordedRefusals = new Map<string, number>();
  private readonly proposedRefusals = new Map<
    string,
    { reason: string; code: string; count: number; example: string }
  >();
  private changed = 0;
  private changedByChange = 0;
  private readonly changedSample = new Sample();
  private reproduced = 0;
  private readonly byCause: Partial<Record<DifferenceCause, number>> = {};
  private readonly differenceSample = new Sample();
  private latencyRecordedSum = 0;
  private latencyRecordedCount = 0;
  private latencyProposedSum = 0;
  private latencyProposedCount = 0;
  private unobservedRoutes = 0;
  private readonly capabilities = new Map<string, Capability[]>();
  private readonly pairs?: Pairs;

  /**
   * @param current - the catalog's state now, unchanged
   * @param proposed - the state with the change applied; the same object when it is empty
   * @param latencyMs - observed mean upstream latency per profile in the range
   * @param options - `paired`: route every decision under the current state too, and compare
   *   the two routes request by request (the result's `paired`)
   */
  constructor(
    private readonly current: ReplaySide,
    private readonly proposed: ReplaySide,
    private readonly latencyMs: ReadonlyMap<string, number>,
    options: { paired?: boolean } = {},
  ) {
    if (options.paired) this.pairs = new Pairs();
  }

  private get unchanged(): boolean {
    return this.current === this.proposed;
  }

  get decisions(): number {
    return this.read;
  }

  add(batch: StoredDecision[]): void {
    for (const decision of batch) this.addOne(decision);
  }

  private addOne(decision: StoredDecision): void {
    this.read++;
    // Rejected before the router ran (rate limits, a malformed body): nothing was routed.
    if (
      decision.featuresVersion === null &&
      decision.firstChoice === null &&
      decision.dropReasons === ''
    ) {
      this.notRouted++;
      return;
    }
    this.replayed++;
    const recorded = this.recordedFeatures(decision);
    const outcome = this.route(this.proposed, decision, recorded);
    const missing = 'plan' in outcome ? outcome.missing : [];
    if (missing.length > 0) {
      this.featuresMissing++;
      for (const feature of missing) bump(this.missingByFeature, feature);
    }
    const plan = 'plan' in outcome ? outcome.plan : undefined;
    const proposedProfile = plan?.attempts[0];

    this.addCost(decision, proposedProfile);
    bump(this.recordedTiers, this.tierOf(this.current, decision.chosen));
    bump(
      this.proposedTiers,
      proposedProfile ? proposedProfile.qualityTier : 'refused',
    );
    if (decision.firstChoice === null) {
      const key = decision.errorClass ?? 'unknown';
      this.recordedRefusals.set(key, (this.recordedRefusals.get(key) ?? 0) + 1);
    }
    this.addRefusal(outcome);
    this.addLatency(decision.chosen, proposedProfile?.id);
    // Paired, every decision pays for its route under the current state, not only changed ones.
    let before: Replayed | undefined;
    if (this.pairs) {
      before = this.unchanged
        ? outcome
        : this.route(this.current, decision, recorded);
      this.pairs.add(decision, firstAttempt(before), proposedProfile);
    }

    const same = (proposedProfile?.id ?? null) === decision.firstChoice;
    if (this.unchanged) {
      if (same) {
        this.reproduced++;
        return;
      }
      const cause = this.cause(decision, outcome);
      bump(this.byCause, cause);
      this.changed++;
      const build = () => this.changedRoute(decision, outcome, cause);
      this.differenceSample.offer(decision.id, build);
      this.changedSample.offer(decision.id, build);
      return;
    }
    if (same) return;
    this.changed++;
    // Would it differ without the change too? Unpaired, only changed routes pay for a second decision.
    before ??= this.route(this.current, decision, recorded);
    const cause: ChangedRoute['cause'] =
      (firstAttempt(before)?.id ?? null) === decision.firstChoice
        ? 'change'
        : this.cause(decision, before);
    if (cause === 'change') this.changedByChange++;
    this.changedSample.offer(decision.id, () =>
      this.changedRoute(decision, outcome, cause),
    );
  }

  private recordedFeatures(decision: StoredDecision): RecordedFeatures {
    return {
      featuresVersion: decision.featuresVersion ?? undefined,
      modelType: (decision.modelType as ModelType | null) ?? undefined,
      requestedModel: decision.requestedModel,
      agent: decision.agent ?? undefined,
      classification:
        (decision.classification as Classification | null) ?? undefined,
      requiredCapabilities: this.capabilitiesOf(decision.requiredCapabilities),
      estimatedInputTokens: decision.promptTokens ?? 0,
      promptTokenBound: decision.promptTokenBound ?? undefined,
      promptImages: decision.promptImages ?? undefined,
      maxOutputTokens: decision.maxOutputTokens ?? undefined,
      choices: decision.choices ?? undefined,
      complexity: decision.complexity ?? 0,
      remainingBudgetUsd: decision.remainingBudgetUsd ?? undefined,
    };
  }

  /** Capability lists repeat: each distinct stored text is split once. */
  private capabilitiesOf(text: string | null): Capability[] {
    const key = text ?? '';
    let list = this.capabilities.get(key);
    if (!list) {
      list = key === '' ? [] : (key.split(',') as Capability[]);
      this.capabilities.set(key, list);
    }
    return list;
  }

  private route(
    side: ReplaySide,
    decision: StoredDecision,
    recorded: RecordedFeatures,
  ): Replayed {
    const prepared = replayInput(side.state, decision.tenant, recorded);
    if ('unroutable' in prepared) return prepared;
    return {
      plan: decideRoute(prepared.input, side.upstreams),
      missing: prepared.missing,
    };
  }

  private addCost(
    decision: StoredDecision,
    proposedProfile: CompiledProfile | undefined,
  ): void {
    if (decision.costUsd === null) {
      this.withoutUsage++;
      return;
    }
    const proposedCost = proposedProfile
      ? priced(proposedProfile, decision)
      : 0;
    this.recordedUsd += decision.costUsd;
    this.proposedUsd += proposedCost;
    const name = decision.agent ?? NO_AGENT;
    let agent = this.agents.get(name);
    if (!agent) {
      agent = {
        agent: name,
        decisions: 0,
        recordedUsd: 0,
        proposedUsd: 0,
        deltaUsd: 0,
      };
      this.agents.set(name, agent);
    }
    agent.decisions++;
    agent.recordedUsd += decision.costUsd;
    agent.proposedUsd += proposedCost;
  }

  private tierOf(side: ReplaySide, profile: string | null): string {
    if (profile === null) return 'refused';
    return side.state.profiles.get(profile)?.qualityTier ?? 'unknown';
  }

  private addRefusal(outcome: Replayed): void {
    let reason: string;
    let code: string;
    let example: string;
    if ('unroutable' in outcome) {
      reason = 'unroutable';
      code = 'unroutable';
      example = outcome.unroutable;
    } else if (outcome.plan.refusal) {
      ({ reason, code } = outcome.plan.refusal);
      example = outcome.plan.refusal.message;
    } else {
      return;
    }
    const entry = this.proposedRefusals.get(reason);
    if (entry) entry.count++;
    else this.proposedRefusals.set(reason, { reason, code, count: 1, example });
  }

  private addLatency(recorded: string | null, proposed: string | undefined) {
    const before = recorded === null ? undefined : this.latencyMs.get(recorded);
    if (before !== undefined) {
      this.latencyRecordedSum += before;
      this.latencyRecordedCount++;
    }
    if (proposed === undefined) return;
    const after = this.latencyMs.get(proposed);
    if (after === undefined) {
      this.unobservedRoutes++;
      return;
    }
    this.latencyProposedSum += after;
    this.latencyProposedCount++;
  }

  /** Why the unchanged state does not reproduce a recorded route. */
  private cause(decision: StoredDecision, outcome: Replayed): DifferenceCause {
    if ('unroutable' in outcome) return 'unroutable';
    if (outcome.missing.length > 0) return 'features-missing';
    if (decision.dropReasons.includes(',circuit-open,')) return 'breaker';
    if (decision.stateVersion !== this.current.state.version) {
      return 'state-changed';
    }
    if (decision.dropReasons.includes(',budget,')) return 'budget';
    return 'latency-or-load';
  }

  private changedRoute(
    decision: StoredDecision,
    outcome: Replayed,
    cause: ChangedRoute['cause'],
  ): ChangedRoute {
    const plan = 'plan' in outcome ? outcome.plan : undefined;
    const proposed = plan?.attempts[0];
    const usage = decision.costUsd !== null;
    return {
      decisionId: decision.id,
      timestamp: new Date(decision.ts).toISOString(),
      tenant: decision.tenant,
      ...(decision.agent !== null ? { agent: decision.agent } : {}),
      ...(decision.firstChoice !== null
        ? { recorded: decision.firstChoice }
        : {}),
      ...(proposed ? { proposed: proposed.id } : {}),
      ...(plan?.refusal
        ? {
            refusal: {
              reason: plan.refusal.reason,
              code: plan.refusal.code,
              message: plan.refusal.message,
            },
          }
        : {}),
      ...(usage ? { recordedCostUsd: decision.costUsd! } : {}),
      ...(usage && plan
        ? {
            proposedCostUsd: proposed ? priced(proposed, decision) : 0,
          }
        : {}),
      proposedCandidates: plan?.candidates ?? [],
      cause,
      ...('plan' in outcome && outcome.missing.length > 0
        ? { missingFeatures: outcome.missing }
        : {}),
    };
  }

  /** The sums as the replay's result, less what the service adds (scope, timing). */
  result(): Omit<
    ReplayResult,
    'scope' | 'change' | 'warnings' | 'elapsedMs' | 'latency' | 'decisions'
  > & {
    decisions: Omit<ReplayResult['decisions'], 'truncated'>;
    latency: Omit<ReplayResult['latency'], 'observed'>;
  } {
    // Raw sums, each reported figure rounded once to the nano-dollar (services/cost/usd.ts).
    const round = roundUsd;
    const byAgent = [...this.agents.values()]
      .map(agent => ({
        ...agent,
        recordedUsd: round(agent.recordedUsd),
        proposedUsd: round(agent.proposedUsd),
        deltaUsd: round(agent.proposedUsd - agent.recordedUsd),
      }))
      .sort((a, b) => a.deltaUsd - b.deltaUsd);
    const compared = this.replayed;
    return {
      stateVersions: {
        current: this.current.state.version,
        proposed: this.proposed.state.version,
      },
      decisions: {
        read: this.read,
        replayed: this.replayed,
        notRouted: this.notRouted,
        featuresMissing: {
          decisions: this.featuresMissing,
          byFeature: this.missingByFeature,
        },
      },
      cost: {
        recordedUsd: round(this.recordedUsd),
        proposedUsd: round(this.proposedUsd),
        deltaUsd: round(this.proposedUsd - this.recordedUsd),
        withoutUsage: this.withoutUsage,
        byAgent,
      },
      qualityTiers: {
        recorded: this.recordedTiers,
        proposed: this.proposedTiers,
      },
      refusals: {
        recorded: [...this.recordedRefusals]
          .map(([errorClass, count]) => ({ errorClass, count }))
          .sort((a, b) => b.count - a.count),
        proposed: [...this.proposedRefusals.values()]
          .map(entry => ({
            ...entry,
            reason:
              entry.reason as ReplayResult['refusals']['proposed'][number]['reason'],
          }))
          .sort((a, b) => b.count - a.count),
      },
      changedRoutes: {
        count: this.changed,
        byChange: this.unchanged ? 0 : this.changedByChange,
        regardless: this.unchanged
          ? this.changed
          : this.changed - this.changedByChange,
        sample: this.changedSample.routes(),
      },
      latency: {
        ...(this.latencyRecordedCount > 0
          ? {
              recordedMeanMs:
                Math.round(
                  (this.latencyRecordedSum / this.latencyRecordedCount) * 10,
                ) / 10,
            }
          : {}),
        ...(this.latencyProposedCount > 0
          ? {
              proposedMeanMs:
                Math.round(
                  (this.latencyProposedSum / this.latencyProposedCount) * 10,
                ) / 10,
            }
          : {}),
        unobservedRoutes: this.unobservedRoutes,
      },
      ...(this.unchanged
        ? {
            determinism: {
              compared,
              reproduced: this.reproduced,
              share: compared === 0 ? 1 : this.reproduced / compared,
              byCause: this.byCause,
              sample: this.differenceSample.routes(),
            },
          }
        : {}),
      ...(this.pairs ? { paired: this.pairs.result(round) } : {}),
      caveats: [],
    };
  }
}
