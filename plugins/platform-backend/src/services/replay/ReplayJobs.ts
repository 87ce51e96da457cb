import { NotFoundError, ServiceUnavailableError } from '@backstage/errors';
import { Knex } from 'knex';
import { randomUUID } from 'node:crypto';
import type { DecisionScope } from './DecisionStream';
import type { ReplayRunOptions } from './ReplayService';
import type {
  ReplayProgress,
  ReplayRequest,
  ReplayResult,
} from './replayTypes';
import { type Clock } from '@cellport/plugin-platform-node';

const TABLE = 'platform_replay_jobs';
/** The advisory lock that orders replicas' starts (any constant of this plugin's own). */
const START_LOCK = 7_302_010;

export type ReplayJobState = 'running' | 'done' | 'failed' | 'cancelled';

/** A replay job as the API answers it. */
export interface ReplayJobView {
  id: string;
  state: ReplayJobState;
  createdAt: string;
  finishedAt?: string;
  expiresAt?: string;
  scope: { cell: string; agent?: string; from: string; to: string };
  progress: ReplayProgress;
  result?: ReplayResult;
  error?: { message: string };
}

interface JobRow {
  id: string;
  state: ReplayJobState;
  scope: string;
  progress: string;
  result: string | null;
  error: string | null;
  runner: string;
  created_at: number | string;
  heartbeat_at: number | string;
  finished_at: number | string | null;
}

export interface ReplayJobsOptions {
  /** Jobs kept at once, running or ended; the oldest ended one makes room. */
  maxJobs?: number;
  /** Jobs running at once, over all replicas; more are refused until one ends. */
  maxRunning?: number;
  /** How long an ended job stays readable. */
  keepMs?: number;
  /**
   * How often a replica says its jobs are alive (and looks whether one was cancelled
   * elsewhere). A running job silent for three of these reads as failed: its replica stopped.
   */
  heartbeatMs?: number;
  /** Names this backend instance in its jobs' rows. */
  runner?: string;
}

type ReplayRunner = (
  request: ReplayRequest,
  options: ReplayRunOptions,
) => Promise<ReplayResult>;

const STOPPED =
  'The backend running this replay stopped before it ended; start it again';

/**
 * Replays run as jobs: started, polled for progress, cancelled, from any backend replica. The
 * replica that starts a job runs it and writes its progress and result to the database, where
 * every replica reads it. A cancel from any replica ends the job's row; the runner notices at
 * its next batch or heartbeat and stops. A job whose runner died (a crash, a restart) stops
 * beating and reads as failed. The count is bounded (running and kept), and an ended job is
 * forgotten after `keepMs`.
 */
export class ReplayJobs {
  private readonly maxJobs: number;
  private readonly maxRunning: number;
  private readonly keepMs: number;
  private readonly heartbeatMs: number;
  private readonly runner: string;
  /** The jobs this replica runs, by id. */
  private readonly local = new Map<string, AbortController>();
  private heartbeat?: NodeJS.Timeout;
  /** This replica's writes to running jobs, one after another. */
  private writes: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Knex,
    private readonly run: ReplayRunner,
    private readonly clock: Clock,
    options: ReplayJobsOptions = {},
  ) {
    this.maxJobs = options.maxJobs ?? 100;
    this.maxRunning = options.maxRunning ?? 2;
    this.keepMs = options.keepMs ?? 60 * 60 * 1000;
    this.heartbeatMs = options.heartbeatMs ?? 10_000;
    this.runner = options.runner ?? randomUUID();
  }

  /** Starts a checked request over its resolved scope; refuses when enough are running. */
  async start(
    request: ReplayRequest,
    scope: DecisionScope,
  ): Promise<ReplayJobView> {
    await this.tidy({ makeRoom: true });
    const now = this.clock.now();
    const id = randomUUID();
    await this.db.transaction(async tx => {
      // Replicas starting at once count one after another: PostgreSQL's default isolation
      // would let both read the same count. SQLite runs one writer at a time already.
      if (tx.client.config.client !== 'better-sqlite3') {
        await tx.raw('select pg_advisory_xact_lock(?)', [START_LOCK]);
      }
      const [{ running }] = await tx(TABLE)
        .where({ state: 'running' })
        .count({ running: '*' });
      if (Number(running) >= this.maxRunning) {
        throw new ServiceUnavailableError(
          `${running} replays are running, the most at once; try again when one ends`,
        );
      }
      await tx(TABLE).insert({
        id,
        state: 'running',
        scope: JSON.stringify(scope),
        progress: JSON.stringify({ decisions: 0 }),
        runner: this.runner,
        created_at: now,
        heartbeat_at: now,
      });
    });
    const abort = new AbortController();
    this.local.set(id, abort);
    this.beat();
    this.run(request, {
      signal: abort.signal,
      onProgress: progress => {
        this.write(id, { progress: JSON.stringify(progress) });
      },
    }).then(
      result => this.end(id, 'done', { result: JSON.stringify(result) }),
      error =>
        this.end(id, 'failed', {
          error: messageOf(abort.signal.aborted ? abort.signal.reason : error),
        }),
    );
    return this.get(id);
  }

  /** The job's scope, for the caller's permission check before it is shown. */
  async scopeOf(id: string): Promise<DecisionScope> {
    return JSON.parse((await this.find(id)).scope);
  }

  async get(id: string): Promise<ReplayJobView> {
    return this.view(await this.find(id));
  }

  /** Stops a running job before its next batch; an ended job is left as it is. */
  async cancel(id: string): Promise<ReplayJobView> {
    await this.find(id);
    await this.db(TABLE)
      .where({ id, state: 'running' })
      .update({ state: 'cancelled', finished_at: this.clock.now() });
    this.local.get(id)?.abort(new Error('cancelled'));
    return this.get(id);
  }

  /** Stops this replica's jobs, as a shutdown does: they read as failed, not as running. */
  async close(): Promise<void> {
    clearInterval(this.heartbeat);
    this.heartbeat = undefined;
    const ids = [...this.local.keys()];
    for (const abort of this.local.values()) abort.abort(new Error(STOPPED));
    this.local.clear();
    if (ids.length > 0) {
      await this.db(TABLE)
        .whereIn('id', ids)
        .where({ state: 'running' })
        .update({
          state: 'failed',
          error: STOPPED,
          finished_at: this.clock.now(),
        });
    }
    await this.writes;
  }

  private async find(id: string): Promise<JobRow> {
    await this.tidy({ makeRoom: false });
    const row: JobRow | undefined = await this.db(TABLE).where({ id }).first();
    if (!row) throw new NotFoundError(`No replay "${id}"; it may have expired`);
    return row;
  }

  /**
   * Writes a running job's progress with a heartbeat, in order after the replica's earlier
   * writes. No row updated: the job was cancelled elsewhere (or taken for dead), so this
   * replica stops running it.
   */
  private write(id: string, fields: { progress?: string }) {
    const heartbeatAt = this.clock.now();
    this.writes = this.writes
      .then(() =>
        this.db(TABLE)
          .where({ id, state: 'running' })
          .update({ ...fields, heartbeat_at: heartbeatAt }),
      )
      .then(
        updated => {
          if (updated === 0) this.local.get(id)?.abort(new Error('cancelled'));
        },
        () => undefined,
      );
  }

  /** The first ending stands: a job cancelled elsewhere stays cancelled when its run settles. */
  private async end(
    id: string,
    state: ReplayJobState,
    outcome: { result?: string; error?: string | null },
  ) {
    this.local.delete(id);
    if (this.local.size === 0) {
      clearInterval(this.heartbeat);
      this.heartbeat = undefined;
    }
    const finishedAt = this.clock.now();
    this.writes = this.writes.then(() =>
      this.db(TABLE)
        .where({ id, state: 'running' })
        .update({ state, ...outcome, finished_at: finishedAt })
        .then(
          () => undefined,
          () => undefined,
        ),
    );
    await this.writes;
  }

  /** Beats for this replica's running jobs while it has any. */
  private beat() {
    if (this.heartbeat) return;
    this.heartbeat = setInterval(() => {
      for (const id of this.local.keys()) this.write(id, {});
    }, this.heartbeatMs);
    this.heartbeat.unref();
  }

  /**
   * Ends jobs whose runner stopped beating and forgets ended jobs `keepMs` after they ended;
   * making room, forgets the oldest ended ones until one more job fits in `maxJobs`.
   */
  private async tidy(options: { makeRoom: boolean }) {
    const now = this.clock.now();
    await this.db(TABLE)
      .where({ state: 'running' })
      .where('heartbeat_at', '<', now - 3 * this.heartbeatMs)
      .update({ state: 'failed', error: STOPPED, finished_at: now });
    await this.db(TABLE)
      .whereNot({ state: 'running' })
      .where('finished_at', '<=', now - this.keepMs)
      .delete();
    if (!options.makeRoom) return;
    const [{ running }] = await this.db(TABLE)
      .where({ state: 'running' })
      .count({ running: '*' });
    const surplus = await this.db(TABLE)
      .whereNot({ state: 'running' })
      .orderBy('finished_at', 'desc')
      .offset(Math.max(0, this.maxJobs - 1 - Number(running)))
      .select('id');
    if (surplus.length > 0) {
      await this.db(TABLE)
        .whereIn(
          'id',
          surplus.map(row => row.id),
        )
        .delete();
    }
  }

  private view(row: JobRow): ReplayJobView {
    const iso = (t: number | string) => new Date(Number(t)).toISOString();
    const scope: DecisionScope = JSON.parse(row.scope);
    return {
      id: row.id,
      state: row.state,
      createdAt: iso(row.created_at),
      ...(row.finished_at !== null
        ? {
            finishedAt: iso(row.finished_at),
            expiresAt: iso(Number(row.finished_at) + this.keepMs),
          }
        : {}),
      scope: {
        cell: scope.cell,
        ...(scope.agent !== undefined ? { agent: scope.agent } : {}),
        from: iso(scope.from),
        to: iso(scope.to),
      },
      progress: JSON.parse(row.progress),
      ...(row.result !== null ? { result: JSON.parse(row.result) } : {}),
      ...(row.error !== null ? { error: { message: row.error } } : {}),
    };
  }
}

/** A failed replay's message: the service's own errors say what went wrong, nothing more. */
function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
