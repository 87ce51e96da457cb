import { ManualClock } from '../clock';
import type { DecisionScope } from './DecisionStream';
import { ReplayJobs } from './ReplayJobs';
import type { ReplayRunOptions } from './ReplayService';
import type { ReplayResult } from './replayTypes';

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

const settled = () => new Promise(resolve => setImmediate(resolve));

describe('ReplayJobs', () => {
  it('follows a job from running with progress to done with its result', async () => {
    const replays = new ManualReplays();
    const clock = new ManualClock(HOUR);
    const jobs = new ReplayJobs(replays.run, clock);
    const started = jobs.start(request, scope);
    expect(started).toMatchObject({
      state: 'running',
      progress: { decisions: 0 },
      scope: request,
    });
    replays.runs[0].options.onProgress!({
      decisions: 5000,
      through: '1970-01-01T00:30:00.000Z',
    });
    expect(jobs.get(started.id).progress).toEqual({
      decisions: 5000,
      through: '1970-01-01T00:30:00.000Z',
    });
    clock.advance(2000);
    replays.runs[0].finish({ elapsedMs: 2000 } as ReplayResult);
    await settled();
    expect(jobs.get(started.id)).toMatchObject({
      state: 'done',
      result: { elapsedMs: 2000 },
      finishedAt: new Date(HOUR + 2000).toISOString(),
      expiresAt: new Date(2 * HOUR + 2000).toISOString(),
    });
  });

  it('cancels a running job, which stays cancelled when its run settles', async () => {
    const replays = new ManualReplays();
    const jobs = new ReplayJobs(replays.run, new ManualClock(0));
    const { id } = jobs.start(request, scope);
    expect(jobs.cancel(id).state).toBe('cancelled');
    expect(replays.runs[0].options.signal!.aborted).toBe(true);
    await settled();
    expect(jobs.get(id).state).toBe('cancelled');
    expect(jobs.get(id).error).toBeUndefined();
    // Cancelling again, or an ended job, changes nothing.
    expect(jobs.cancel(id).state).toBe('cancelled');
  });

  it('says why a job failed, without a stack', async () => {
    const replays = new ManualReplays();
    const jobs = new ReplayJobs(replays.run, new ManualClock(0));
    const { id } = jobs.start(request, scope);
    replays.runs[0].fail(new Error('connection terminated'));
    await settled();
    expect(jobs.get(id)).toMatchObject({
      state: 'failed',
      error: { message: 'connection terminated' },
    });
  });

  it('runs at most maxRunning at once and keeps at most maxJobs, forgetting the oldest ended', async () => {
    const replays = new ManualReplays();
    const jobs = new ReplayJobs(replays.run, new ManualClock(0), {
      maxRunning: 2,
      maxJobs: 3,
    });
    const first = jobs.start(request, scope);
    const second = jobs.start(request, scope);
    expect(() => jobs.start(request, scope)).toThrow(
      '2 replays are running, the most at once',
    );
    replays.runs[0].finish({} as ReplayResult);
    await settled();
    const third = jobs.start(request, scope);
    replays.runs[1].finish({} as ReplayResult);
    replays.runs[2].finish({} as ReplayResult);
    await settled();
    const fourth = jobs.start(request, scope);
    expect(() => jobs.get(first.id)).toThrow(/No replay/);
    for (const kept of [second, third, fourth]) {
      expect(jobs.get(kept.id).id).toBe(kept.id);
    }
  });

  it('forgets an ended job an hour after it ended, never a running one', async () => {
    const replays = new ManualReplays();
    const clock = new ManualClock(0);
    const jobs = new ReplayJobs(replays.run, clock);
    const ended = jobs.start(request, scope);
    const running = jobs.start(request, scope);
    replays.runs[0].finish({} as ReplayResult);
    await settled();
    clock.advance(HOUR - 1);
    expect(jobs.get(ended.id).state).toBe('done');
    clock.advance(1);
    expect(() => jobs.get(ended.id)).toThrow(
      `No replay "${ended.id}"; it may have expired`,
    );
    clock.advance(24 * HOUR);
    expect(jobs.get(running.id).state).toBe('running');
  });
});
