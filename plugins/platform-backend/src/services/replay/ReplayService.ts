import { InputError, NotFoundError } from '@backstage/errors';
import { StaticUpstreams } from '@cellport/router';
import { Knex } from 'knex';
import {
  cellRoutingState,
  PlatformEntities,
} from '@cellport/plugin-platform-node';
import { DecisionScope, DecisionStream } from './DecisionStream';
import {
  applyProposedChange,
  downProfiles,
  isEmptyChange,
  parseProposedChange,
} from './ProposedChange';
import { ReplaySide, ReplayTally } from './ReplayTally';
import type {
  ProfileLatency,
  ReplayProgress,
  ReplayRequest,
  ReplayResult,
} from './replayTypes';
import { entityRefName } from '@cellport/plugin-platform-common';

const DAY_MS = 24 * 60 * 60 * 1000;

export interface ReplayServiceOptions {
  /** The longest range one replay may cover. */
  maxRangeMs?: number;
  /** The most decisions one replay reads; beyond it the result says `truncated`. */
  maxDecisions?: number;
  /** Rows per database read. */
  batchSize?: number;
}

export interface ReplayRunOptions {
  /** Aborting stops the replay between two batches (it then rejects with the abort reason). */
  signal?: AbortSignal;
  /** Called after each batch. */
  onProgress?: (progress: ReplayProgress) => void;
  /**
   * Compare each decision's route under the current state and under the change (the result's
   * `paired`): every decision is routed twice, not only the changed ones.
   */
  paired?: boolean;
}

/**
 * "What would this traffic have done under a proposed change": streams a cell's or an
 * agent's stored decisions over a range, re-derives each route with the gateway's own router
 * (`@cellport/router`) under the catalog's state with the change applied, and sums cost,
 * quality tiers, refusals, changed routes and expected latency against what happened. With
 * no change it is the determinism check: how many recorded routes it reproduces, and why the
 * others differ. The platform API's replay routes call it; it reads, never writes.
 */
export class ReplayService {
  private readonly maxRangeMs: number;
  private readonly maxDecisions: number;
  private readonly stream: DecisionStream;

  constructor(
    private readonly db: Knex,
    private readonly catalog: {
      entities(options?: { fresh?: boolean }): Promise<PlatformEntities>;
    },
    options: ReplayServiceOptions = {},
  ) {
    this.maxRangeMs = options.maxRangeMs ?? 31 * DAY_MS;
    this.maxDecisions = options.maxDecisions ?? 5_000_000;
    this.stream = new DecisionStream(db, options.batchSize);
  }

  /**
   * Checks a request as `replay` does before it reads a decision (range, scope, every name in
   * the change), so a job can refuse it at once: an InputError or NotFoundError names the field.
   */
  async check(request: ReplayRequest): Promise<DecisionScope> {
    const change = parseProposedChange(request.change);
    const entities = await this.catalog.entities();
    const scope = this.scopeOf(request, entities);
    if (!isEmptyChange(change)) applyProposedChange(entities, change);
    return scope;
  }

  async replay(
    request: ReplayRequest,
    options: ReplayRunOptions = {},
  ): Promise<ReplayResult> {
    const started = performance.now();
    const change = parseProposedChange(request.change);
    const entities = await this.catalog.entities();
    const scope = this.scopeOf(request, entities);
    const current: ReplaySide = {
      ...cellRoutingState(scope.cell, entities),
      upstreams: StaticUpstreams.calm,
    };
    let proposed = current;
    let warnings: string[] = [];
    if (!isEmptyChange(change)) {
      const changed = cellRoutingState(
        scope.cell,
        applyProposedChange(entities, change),
      );
      proposed = {
        state: changed.state,
        upstreams: new StaticUpstreams(downProfiles(change)),
      };
      warnings = changed.warnings;
    }
    const observed = await this.observedLatency(scope);
    const tally = new ReplayTally(
      current,
      proposed,
      new Map(observed.map(p => [p.modelProfile, p.meanUpstreamMs])),
      { paired: options.paired },
    );
    let truncated = false;
    for await (const batch of this.stream.batches(scope)) {
      options.signal?.throwIfAborted();
      const room = this.maxDecisions - tally.decisions;
      tally.add(batch.length > room ? batch.slice(0, room) : batch);
      options.onProgress?.({
        decisions: tally.decisions,
        through: new Date(batch[batch.length - 1].ts).toISOString(),
      });
      if (tally.decisions >= this.maxDecisions) {
        truncated = true;
        break;
      }
    }
    const sums = tally.result();
    return {
      ...sums,
      scope: {
        cell: scope.cell,
        ...(scope.agent !== undefined ? { agent: scope.agent } : {}),
        from: new Date(scope.from).toISOString(),
        to: new Date(scope.to).toISOString(),
      },
      change,
      decisions: { ...sums.decisions, truncated },
      latency: { observed, ...sums.latency },
      caveats: caveats(sums),
      warnings,
      elapsedMs: Math.round(performance.now() - started),
    };
  }

  private scopeOf(
    request: ReplayRequest,
    entities: PlatformEntities,
  ): DecisionScope {
    const from = parseTime(request.from, 'from');
    const to = parseTime(request.to, 'to');
    if (to <= from) throw new InputError('to: must be after from');
    if (to - from > this.maxRangeMs) {
      throw new InputError(
        `to: a replay covers at most ${Math.round(
          this.maxRangeMs / DAY_MS,
        )} days`,
      );
    }
    if (request.agent !== undefined) {
      const agent = entities.agents.find(
        a => a.metadata.name === request.agent,
      );
      if (!agent) {
        throw new NotFoundError(
          `agent "${request.agent}" is not in the catalog`,
        );
      }
      const cell = entityRefName(agent.spec.cell);
      if (request.cell !== undefined && request.cell !== cell) {
        throw new InputError(
          `cell: agent "${request.agent}" runs in cell "${cell}", not "${request.cell}"`,
        );
      }
      return { cell, agent: request.agent, from, to };
    }
    if (request.cell === undefined) {
      throw new InputError('cell: name a cell or an agent to replay');
    }
    if (!entities.cells.some(c => c.metadata.name === request.cell)) {
      throw new NotFoundError(`cell "${request.cell}" is not in the catalog`);
    }
    return { cell: request.cell, from, to };
  }

  /** Mean upstream latency of each profile's successful requests in the scope and range. */
  private async observedLatency(
    scope: DecisionScope,
  ): Promise<ProfileLatency[]> {
    const query = this.db('platform_usage_events')
      .select('model_profile')
      .count({ requests: '*' })
      .avg({ mean: 'upstream_ms' })
      .where('cell', scope.cell)
      .andWhere('ts', '>=', scope.from)
      .andWhere('ts', '<', scope.to)
      .andWhere('outcome', 'success')
      .whereNotNull('model_profile')
      .whereNotNull('upstream_ms')
      .groupBy('model_profile')
      .orderBy('model_profile');
    if (scope.agent !== undefined) query.where('agent', scope.agent);
    const rows: any[] = await query;
    return rows.map(row => ({
      modelProfile: row.model_profile,
      requests: Number(row.requests),
      meanUpstreamMs: Math.round(Number(row.mean) * 10) / 10,
    }));
  }
}

/** The years decisions can be stamped in (the event contract's), as every query takes. */
const EARLIEST_MS = Date.UTC(2000, 0, 1);
const LATEST_MS = Date.UTC(2100, 0, 1);

function parseTime(value: unknown, field: string): number {
  const time = typeof value === 'string' ? Date.parse(value) : NaN;
  if (!Number.isFinite(time)) {
    throw new InputError(`${field}: must be an ISO 8601 time`);
  }
  if (time < EARLIEST_MS || time > LATEST_MS) {
    throw new InputError(`${field}: must be in the years 2000 to 2099`);
  }
  return time;
}

/** What the replay cannot know, stated with every result. */
function caveats(sums: ReturnType<ReplayTally['result']>): string[] {
  const notes = [
    'Outputs would differ: another model answers differently, in content, length and quality; the replay re-derives routes, not answers.',
    "Token counts are the recorded ones, priced at the proposed route's prices; another model's tokenizer and answer would count differently.",
    "Routes are the router's first choice: upstream failures and the fallbacks they caused are the recorded moment's and are not replayed.",
    'Upstream conditions are not replayed: every circuit is taken as closed (except profiles proposed down), with no latency or load penalty.',
    'Latency is an expectation: the mean observed upstream latency of each profile in the range, not a measurement of the proposed routes.',
  ];
  const missing = sums.decisions.featuresMissing.decisions;
  if (missing > 0) {
    notes.push(
      `${missing} decisions were recorded before their routing features were; they were replayed with assumptions for ${Object.keys(
        sums.decisions.featuresMissing.byFeature,
      ).join(', ')}.`,
    );
  }
  if (sums.latency.unobservedRoutes > 0) {
    notes.push(
      `${sums.latency.unobservedRoutes} replayed routes go to profiles with no observed latency in the range; the latency expectation leaves them out.`,
    );
  }
  return notes;
}
