import { Knex } from 'knex';
import { applyDatabaseMigrations } from '../../database/migrations';
import type { DecisionScope } from './DecisionStream';
import { ReplayJobs, ReplayJobsOptions } from './ReplayJobs';
import type { ReplayRunOptions } from './ReplayService';
import type { ReplayResult } from './replayTypes';
import { createTestDatabases } from '@cellport/plugin-platform-node-test-utils';
import { ManualClock } from '@cellport/plugin-platform-node';

jest.setTimeout(60_000);

const HOUR = 3600_000;
const scope: DecisionScope = { cell: 'eu-west-shared-1', from: 0, to: HOUR };
const request = {
  cell: 'eu-west-shared-1',
  from: new Date(0).toISOString(),
  to: new Date(HOUR).toISOString(),
};

/**
 * Replays the test ends by hand: each run waits until `finish` (or its abort), reporting
 * progress as the service does, so a test sees every state a job passes through.
 */
class ManualReplays {
  readonly runs: Array<{
    options: ReplayRunOptions;
    finish: (result: ReplayResult) => void;
    fail: (error: Error) => void;
  }> = [];

  run = (_request: unknown, options: ReplayRunOptions) =>
    new Promise<ReplayResult>((resolve, reject) => {
      options.signal?.addEventListener('abort', () =>
        reject(options.signal!.reason),
      );
      this.runs.push({ options, finish: resolve, fail: reject });
    });
}

/** Polls until `check` passes: jobs write progress and endings without the caller waiting. */
async function eventually(check: () => Promise<void>) {
  for (let attempt = 0; ; attempt++) {
    try {
      await check();
      return;
    } catch (error) {
      if (attempt >= 100) throw error;
      await new Promise(resolve => setTimeout(resolve, 20));
    }
  }
}

describe('ReplayJobs', () => {
  const databases = createTestDatabases();
  const opened: ReplayJobs[] = [];
  afterEach(async () => {
    await Promise.all(opened.splice(0).map(jobs => jobs.close()));
  });

  async function replicasOn(
    databaseId: Parameters<typeof databases.init>[0],
    count: number,
    clock: ManualClock,
    options: ReplayJobsOptions = {},
  ) {
    const knex: Knex = await databases.init(databaseId);
    await applyDatabaseMigrations(knex);
    return Array.from({ length: count }, (_, i) => {
      const replays = new ManualReplays();
      const jobs = new ReplayJobs(knex, replays.run, clock, {
        runner: `replica-${i}`,
        ...options,
      });
      opened.push(jobs);
      return { jobs, replays };
    });
  }

  it.each(databases.eachSupportedId())(
    'follows a job from running with progress to done with its result, read from another replica, on %p',
    async databaseId => {
      const clock = new ManualClock(HOUR);
      const [a, b] = await replicasOn(databaseId, 2, clock);
      const started = await a.jobs.start(request, scope);
      expect(started).toMatchObject({
        state: 'running',
        progress: { decisions: 0 },
        scope: request,
      });
      a.replays.runs[0].options.onProgress!({
        decisions: 5000,
        through: '1970-01-01T00:30:00.000Z',
      });
      await eventually(async () =>
        expect((await b.jobs.get(started.id)).progress).toEqual({
          decisions: 5000,
          through: '1970-01-01T00:30:00.000Z',
        }),
      );
      clock.advance(2000);
      a.replays.runs[0].finish({ elapsedMs: 2000 } as ReplayResult);
      await eventually(async () =>
        expect(await b.jobs.get(started.id)).toMatchObject({
          state: 'done',
          result: { elapsedMs: 2000 },
          finishedAt: new Date(HOUR + 2000).toISOString(),
          expiresAt: new Date(2 * HOUR + 2000).toISOString(),
        }),
      );
      expect(await b.jobs.scopeOf(started.id)).toEqual(scope);
    },
  );

  it.each(databases.eachSupportedId())(
    'cancels from another replica: the runner stops at its next batch and the job stays cancelled, on %p',
    async databaseId => {
      const [a, b] = await replicasOn(databaseId, 2, new ManualClock(0));
      const { id } = await a.jobs.start(request, scope);
      expect((await b.jobs.cancel(id)).state).toBe('cancelled');
      const run = a.replays.runs[0];
      expect(run.options.signal!.aborted).toBe(false);
      // The runner learns it at its next batch.
      run.options.onProgress!({ decisions: 10_000 });
      await eventually(async () =>
        expect(run.options.signal!.aborted).toBe(true),
      );
      const ended = await a.jobs.get(id);
      expect(ended.state).toBe('cancelled');
      expect(ended.error).toBeUndefined();
      expect(ended.progress).toEqual({ decisions: 0 });
      // Cancelling again, or an ended job, changes nothing.
      expect((await a.jobs.cancel(id)).state).toBe('cancelled');
    },
  );

  it.each(databases.eachSupportedId())(
    'says why a job failed, without a stack, and that a job whose backend died stopped, on %p',
    async databaseId => {
      const clock = new ManualClock(0);
      const [a, b] = await replicasOn(databaseId, 2, clock, {
        heartbeatMs: 10_000,
      });
      const failing = await a.jobs.start(request, scope);
      a.replays.runs[0].fail(new Error('connection terminated'));
      await eventually(async () =>
        expect(await b.jobs.get(failing.id)).toMatchObject({
          state: 'failed',
          error: { message: 'connection terminated' },
        }),
      );

      // Replica a is killed (no shutdown): its job stops beating.
      const orphan = await a.jobs.start(request, scope);
      clock.advance(30_000);
      expect((await b.jobs.get(orphan.id)).state).toBe('running');
      clock.advance(1);
      expect(await b.jobs.get(orphan.id)).toMatchObject({
        state: 'failed',
        error: {
          message:
            'The backend running this replay stopped before it ended; start it again',
        },
      });

      // A replica shutting down ends its own jobs the same way, at once.
      const stopping = await b.jobs.start(request, scope);
      await b.jobs.close();
      expect((await a.jobs.get(stopping.id)).state).toBe('failed');
      expect(b.replays.runs[0].options.signal!.aborted).toBe(true);
    },
  );

  it.each(databases.eachSupportedId())(
    'starts at most maxRunning of a burst from several replicas at once, on %p',
    async databaseId => {
      const replicas = await replicasOn(databaseId, 4, new ManualClock(0), {
        maxRunning: 2,
      });
      const started = await Promise.allSettled(
        replicas.flatMap(({ jobs }) => [
          jobs.start(request, scope),
          jobs.start(request, scope),
        ]),
      );
      expect(started.filter(s => s.status === 'fulfilled')).toHaveLength(2);
      for (const refused of started.filter(s => s.status === 'rejected')) {
        expect((refused as PromiseRejectedResult).reason.message).toMatch(
          /replays are running, the most at once/,
        );
      }
    },
  );

  it.each(databases.eachSupportedId())(
    'runs at most maxRunning at once over all replicas and keeps at most maxJobs, forgetting the oldest ended, on %p',
    async databaseId => {
      const clock = new ManualClock(0);
      const [a, b] = await replicasOn(databaseId, 2, clock, {
        maxRunning: 2,
        maxJobs: 3,
      });
      const first = await a.jobs.start(request, scope);
      const second = await b.jobs.start(request, scope);
      await expect(a.jobs.start(request, scope)).rejects.toThrow(
        '2 replays are running, the most at once',
      );
      a.replays.runs[0].finish({} as ReplayResult);
      await eventually(async () =>
        expect((await a.jobs.get(first.id)).state).toBe('done'),
      );
      clock.advance(1);
      const third = await a.jobs.start(request, scope);
      b.replays.runs[0].finish({} as ReplayResult);
      a.replays.runs[1].finish({} as ReplayResult);
      await eventually(async () =>
        expect((await b.jobs.get(third.id)).state).toBe('done'),
      );
      clock.advance(1);
      const fourth = await b.jobs.start(request, scope);
      await expect(a.jobs.get(first.id)).rejects.toThrow(/No replay/);
      for (const kept of [second, third, fourth]) {
        expect((await a.jobs.get(kept.id)).id).toBe(kept.id);
      }
    },
  );

  it.each(databases.eachSupportedId())(
    'forgets an ended job an hour after it ended, never a running one, on %p',
    async databaseId => {
      const clock = new ManualClock(0);
      // Heartbeats far apart: this clock jumps an hour at once, real ones beat meanwhile.
      const [a] = await replicasOn(databaseId, 1, clock, {
        heartbeatMs: HOUR,
      });
      const ended = await a.jobs.start(request, scope);
      const running = await a.jobs.start(request, scope);
      a.replays.runs[0].finish({} as ReplayResult);
      await eventually(async () =>
        expect((await a.jobs.get(ended.id)).state).toBe('done'),
      );
      clock.advance(HOUR - 1);
      a.replays.runs[1].options.onProgress!({ decisions: 1 });
      await eventually(async () =>
        expect((await a.jobs.get(running.id)).progress.decisions).toBe(1),
      );
      expect((await a.jobs.get(ended.id)).state).toBe('done');
      clock.advance(1);
      await expect(a.jobs.get(ended.id)).rejects.toThrow(
        `No replay "${ended.id}"; it may have expired`,
      );
      expect((await a.jobs.get(running.id)).state).toBe('running');
    },
  );
});
