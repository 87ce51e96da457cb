import { NotFoundError, ServiceUnavailableError } from '@backstage/errors';
import { randomUUID } from 'node:crypto';
import type { Clock } from '../clock';
import type { DecisionScope } from './DecisionStream';
import type { ReplayRunOptions } from './ReplayService';
import type {
  ReplayProgress,
  ReplayRequest,
  ReplayResult,
} from './replayTypes';

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

interface ReplayJob {
  id: string;
  state: ReplayJobState;
  createdAt: number;
  finishedAt?: number;
  scope: DecisionScope;
  progress: ReplayProgress;
  result?: ReplayResult;
  error?: string;
  abort: AbortController;
}

export interface ReplayJobsOptions {
  /** Jobs kept at once, running or ended; the oldest ended one makes room. */
  maxJobs?: number;
  /** Jobs running at once; more are refused until one ends. */
  maxRunning?: number;
  /** How long an ended job stays readable. */
  keepMs?: number;
}

type ReplayRunner = (
  request: ReplayRequest,
  options: ReplayRunOptions,
) => Promise<ReplayResult>;

/**
 * Replays run as jobs in this backend's memory: started, polled for progress, cancelled. The
 * count is bounded (running and kept) and an ended job is forgotten after `keepMs`, so a
 * restart or a second backend instance loses only jobs nobody may wait on for long.
 */
export class ReplayJobs {
  private readonly jobs = new Map<string, ReplayJob>();
  private readonly maxJobs: number;
  private readonly maxRunning: number;
  private readonly keepMs: number;

  constructor(
    private readonly run: ReplayRunner,
    private readonly clock: Clock,
    options: ReplayJobsOptions = {},
  ) {
    this.maxJobs = options.maxJobs ?? 100;
    this.maxRunning = options.maxRunning ?? 2;
    this.keepMs = options.keepMs ?? 60 * 60 * 1000;
  }

  /** Starts a checked request over its resolved scope; refuses when enough are running. */
  start(request: ReplayRequest, scope: DecisionScope): ReplayJobView {
    this.forgetExpired();
    const running = [...this.jobs.values()].filter(j => j.state === 'running');
    if (running.length >= this.maxRunning) {
      throw new ServiceUnavailableError(
        `${running.length} replays are running, the most at once; try again when one ends`,
      );
    }
    this.makeRoom();
    const job: ReplayJob = {
      id: randomUUID(),
      state: 'running',
      createdAt: this.clock.now(),
      scope,
      progress: { decisions: 0 },
      abort: new AbortController(),
    };
    this.jobs.set(job.id, job);
    this.run(request, {
      signal: job.abort.signal,
      onProgress: progress => {
        job.progress = progress;
      },
    }).then(
      result => this.end(job, 'done', { result }),
      error => this.end(job, 'failed', { error: messageOf(error) }),
    );
    return this.view(job);
  }

  /** The job's scope, for the caller's permission check before it is shown. */
  scopeOf(id: string): DecisionScope {
    return this.find(id).scope;
  }

  get(id: string): ReplayJobView {
    return this.view(this.find(id));
  }

  /** Stops a running job before its next batch; an ended job is left as it is. */
  cancel(id: string): ReplayJobView {
    const job = this.find(id);
    if (job.state === 'running') {
      this.end(job, 'cancelled', {});
      job.abort.abort(new Error('cancelled'));
    }
    return this.view(job);
  }

  private find(id: string): ReplayJob {
    this.forgetExpired();
    const job = this.jobs.get(id);
    if (!job) throw new NotFoundError(`No replay "${id}"; it may have expired`);
    return job;
  }

  private end(
    job: ReplayJob,
    state: ReplayJobState,
    outcome: { result?: ReplayResult; error?: string },
  ) {
    // A cancelled job's run still settles (with the abort): the first ending stands.
    if (job.state !== 'running') return;
    job.state = state;
    job.finishedAt = this.clock.now();
    job.result = outcome.result;
    job.error = outcome.error;
  }

  private forgetExpired() {
    const now = this.clock.now();
    for (const [id, job] of this.jobs) {
      if (job.finishedAt !== undefined && now - job.finishedAt >= this.keepMs) {
        this.jobs.delete(id);
      }
    }
  }

  /** Forgets the oldest ended jobs until one more fits (running ones are fewer than the room). */
  private makeRoom() {
    for (const [id, job] of this.jobs) {
      if (this.jobs.size < this.maxJobs) return;
      if (job.state !== 'running') this.jobs.delete(id);
    }
  }

  private view(job: ReplayJob): ReplayJobView {
    const iso = (t: number) => new Date(t).toISOString();
    return {
      id: job.id,
      state: job.state,
      createdAt: iso(job.createdAt),
      ...(job.finishedAt !== undefined
        ? {
            finishedAt: iso(job.finishedAt),
            expiresAt: iso(job.finishedAt + this.keepMs),
          }
        : {}),
      scope: {
        cell: job.scope.cell,
        ...(job.scope.agent !== undefined ? { agent: job.scope.agent } : {}),
        from: iso(job.scope.from),
        to: iso(job.scope.to),
      },
      progress: job.progress,
      ...(job.result ? { result: job.result } : {}),
      ...(job.error !== undefined ? { error: { message: job.error } } : {}),
    };
  }
}

/** A failed replay's message: the service's own errors say what went wrong, nothing more. */
function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
