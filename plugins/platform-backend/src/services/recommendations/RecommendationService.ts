import { InputError, NotFoundError } from '@backstage/errors';
import { AgentEntity, entityRefName } from '@cellport/plugin-platform-common';
import type { DecisionScope } from '../replay/DecisionStream';
import type { ReplayRunOptions } from '../replay/ReplayService';
import type { ReplayRequest, ReplayResult } from '../replay/replayTypes';
import { CandidateChange, candidateChanges } from './candidateChanges';
import { recommendationOf } from './recommendationOf';
import type {
  Recommendation,
  RecommendationRequest,
  RecommendationResult,
  SkippedCandidate,
} from './recommendationTypes';
import { PlatformEntities, type Clock } from '@cellport/plugin-platform-node';

const DAY_MS = 24 * 60 * 60 * 1000;

export interface RecommendationServiceOptions {
  /** The most days of decisions one request replays. */
  maxDays?: number;
  /** The most replays one request runs (a baseline per agent, one per candidate). */
  maxReplays?: number;
}

/** A checked request: its agents, its range, and the decision scopes it will read. */
export interface RecommendationPlan {
  request: RecommendationRequest;
  from: number;
  to: number;
  agents: AgentEntity[];
  /** What the caller must be allowed to read (`ReplayAccess.check`), before anything runs. */
  scopes: DecisionScope[];
}

type Replay = (
  request: ReplayRequest,
  options: ReplayRunOptions,
) => Promise<ReplayResult>;

/**
 * Per cell or tenant, for each agent: the changes its constraints allow (`candidateChanges`),
 * each replayed over the agent's stored decisions by the replay engine, against the agent's
 * own decisions replayed under the state as it is. Ranked by the saving scaled to a month,
 * each with its evidence and risk. Bounded per request: in days, and in replays (agents left
 * over are named, not silently dropped).
 */
export class RecommendationService {
  private readonly maxDays: number;
  private readonly maxReplays: number;

  constructor(
    private readonly catalog: {
      entities(options?: { fresh?: boolean }): Promise<PlatformEntities>;
    },
    private readonly replay: Replay,
    private readonly clock: Clock,
    options: RecommendationServiceOptions = {},
  ) {
    this.maxDays = options.maxDays ?? 14;
    this.maxReplays = options.maxReplays ?? 40;
  }

  /** Checks a request and resolves what it covers; InputError and NotFoundError name the field. */
  async check(request: RecommendationRequest): Promise<RecommendationPlan> {
    const { days } = request;
    if (!Number.isInteger(days) || days < 1 || days > this.maxDays) {
      throw new InputError(
        `days: must be a whole number of days from 1 to ${this.maxDays}`,
      );
    }
    if ((request.cell === undefined) === (request.tenant === undefined)) {
      throw new InputError('cell: name a cell or a tenant, not both');
    }
    const entities = await this.catalog.entities();
    let agents: AgentEntity[];
    if (request.cell !== undefined) {
      if (!entities.cells.some(c => c.metadata.name === request.cell)) {
        throw new NotFoundError(`cell "${request.cell}" is not in the catalog`);
      }
      agents = entities.agents.filter(
        a => entityRefName(a.spec.cell) === request.cell,
      );
    } else {
      if (!entities.tenants.some(t => t.metadata.name === request.tenant)) {
        throw new NotFoundError(
          `tenant "${request.tenant}" is not in the catalog`,
        );
      }
      agents = entities.agents.filter(
        a => entityRefName(a.spec.tenant) === request.tenant,
      );
    }
    agents.sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1));
    const to = this.clock.now();
    const from = to - days * DAY_MS;
    // A cell's list reads every decision of the cell (its totals are the cell's); a
    // tenant's reads its agents' decisions, in whichever cells they run.
    const scopes: DecisionScope[] =
      request.cell !== undefined
        ? [{ cell: request.cell, from, to }]
        : agents.map(a => ({
            cell: entityRefName(a.spec.cell),
            agent: a.metadata.name,
            from,
            to,
          }));
    return { request, from, to, agents, scopes };
  }

  async recommend(
    plan: RecommendationPlan,
    options: { signal?: AbortSignal } = {},
  ): Promise<RecommendationResult> {
    const started = performance.now();
    const entities = await this.catalog.entities();
    const range = {
      from: new Date(plan.from).toISOString(),
      to: new Date(plan.to).toISOString(),
    };
    const recommendations: Omit<Recommendation, 'rank'>[] = [];
    const skipped: SkippedCandidate[] = [];
    const result: Omit<RecommendationResult, 'elapsedMs'> = {
      scope: {
        ...(plan.request.cell !== undefined ? { cell: plan.request.cell } : {}),
        ...(plan.request.tenant !== undefined
          ? { tenant: plan.request.tenant }
          : {}),
        ...range,
      },
      recommendations: [],
      skipped,
      excludedProfiles: [],
      agentsWithoutDecisions: [],
      agentsNotEvaluated: [],
      replays: 0,
      notes: [],
      caveats: [],
    };
    for (const agent of plan.agents) {
      const name = agent.metadata.name;
      const { candidates, excluded } = candidateChanges(agent, entities);
      result.excludedProfiles.push(...excluded);
      if (result.replays + 1 + candidates.length > this.maxReplays) {
        result.agentsNotEvaluated.push(name);
        continue;
      }
      const run = async (candidate?: CandidateChange) => {
        options.signal?.throwIfAborted();
        let through: string | undefined;
        result.replays += 1;
        const replayed = await this.replay(
          {
            agent: name,
            ...range,
            ...(candidate ? { change: changeOf(name, candidate) } : {}),
          },
          {
            signal: options.signal,
            // New refusals and the saving are counted request by request, not net.
            paired: candidate !== undefined,
            onProgress: progress => {
              through = progress.through;
            },
          },
        );
        return { replayed, through };
      };
      const baseline = await run();
      if (baseline.replayed.decisions.replayed === 0) {
        result.agentsWithoutDecisions.push(name);
        continue;
      }
      if (result.caveats.length === 0) {
        result.caveats = baseline.replayed.caveats;
      }
      // Where the agent's routes may go: its tenant's allowlist, less what the boundaries
      // rule out. A replayed route anywhere else disqualifies the candidate.
      const tenant = entities.tenants.find(
        t => t.metadata.name === entityRefName(agent.spec.tenant),
      );
      const usable = new Set(
        tenant?.spec.modelAllowlist.map(entityRefName) ?? [],
      );
      for (const profile of excluded) usable.delete(profile.modelProfile);
      for (const candidate of candidates) {
        const proposed = await run(candidate);
        const outcome = recommendationOf({
          agent,
          candidate,
          baseline: baseline.replayed,
          proposed: proposed.replayed,
          through: proposed.through,
          range: { from: plan.from, to: plan.to },
          usable,
        });
        if ('skipped' in outcome) {
          skipped.push({
            agent: name,
            change: candidate.summary,
            reason: outcome.skipped,
          });
        } else {
          recommendations.push(outcome.recommendation);
        }
      }
    }
    result.recommendations = recommendations
      .sort((a, b) => b.monthlySavingUsd - a.monthlySavingUsd)
      .map((r, i) => ({ rank: i + 1, ...r }));
    const days = (plan.to - plan.from) / DAY_MS;
    result.notes = [
      `Savings are measured over the replayed range (${days} days, ${
        range.from
      } to ${
        range.to
      }) against the same decisions replayed under the catalog's state now, over the requests both serve (a request the change would refuse saves nothing), and scaled to 30 days (×${round(
        30 / days,
        2,
      )}); a replay stopped at its limit is scaled from the time it covered.`,
      "Candidates per agent: each cheaper routing policy, and each model profile its tenant may use as its only preferred model: on the tenant's allowlist, inside its residency and data classification, with the agent's required capabilities, and not another tenant's private capacity.",
      'The Agent kind declares no quality floor, so no candidate is ruled out for its quality tier: each risk says how many requests would be served from a lower tier.',
      'A candidate that would refuse more than 1% of the requests the current state serves, or whose routes leave the profiles the agent may use, is listed as skipped, not recommended.',
    ];
    return {
      ...result,
      elapsedMs: Math.round(performance.now() - started),
    };
  }
}

/** The replay engine's proposed change for one candidate of one agent. */
export function changeOf(agent: string, candidate: CandidateChange) {
  return {
    agents: {
      [agent]: {
        ...(candidate.policy ? { policy: candidate.policy } : {}),
        ...(candidate.preferredModels
          ? { preferredModels: candidate.preferredModels }
          : {}),
      },
    },
  };
}

export function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}
