import type { GatewayModelProfile } from '@cellport/plugin-platform-common';
import type { UpstreamResult } from '../providers/types';
import { FallbackExecutor } from './FallbackExecutor';
import { RetryBudgets } from './RetryBudgets';
import { UpstreamHealth } from './UpstreamHealth';

const profile = (
  id: string,
  upstreamModel = `${id}-model`,
): GatewayModelProfile => ({
  id,
  alias: id,
  type: 'chat',
  provider: 'simulator',
  upstreamModel,
  endpoint: 'http://upstream.test/v1',
  region: 'eu-west-1',
  qualityTier: 'standard',
  contextLength: 128_000,
  maxOutputTokens: 4096,
  features: [],
  inputPerMillionUsd: 1,
  outputPerMillionUsd: 1,
  maxClassification: 'INTERNAL',
});

const unavailable: UpstreamResult = {
  kind: 'failure',
  failure: {
    errorClass: 'upstream-unavailable',
    retriable: true,
    message: 'upstream unreachable (ECONNREFUSED)',
  },
};
const answer: UpstreamResult = {
  kind: 'json',
  body: Buffer.from('{}'),
  generatedText: () => '',
};

describe('FallbackExecutor', () => {
  let now = 0;
  const health = () =>
    new UpstreamHealth({ failureThreshold: 2, openMs: 1000, now: () => now });

  it('fails over to another upstream whatever the retry budget holds', async () => {
    const upstreams = health();
    // A budget with nothing left: any retry would be refused.
    const executor = new FallbackExecutor(upstreams, new RetryBudgets(0, 0));
    const primary = profile('primary');
    const fallback = profile('fallback');
    // Past a connection failure, then past an open circuit: neither is a retry.
    for (let i = 0; i < 5; i++) {
      const outcome = await executor.run([primary, fallback], async p =>
        p === primary ? unavailable : answer,
      );
      expect(outcome.ok && outcome.profile.id).toBe('fallback');
    }
    expect(upstreams.get('primary').breaker.state).toBe('open');
  });

  it('counts each attempt once, by profile and how it ended, skipped ones included', async () => {
    const counted: string[] = [];
    const executor = new FallbackExecutor(health(), new RetryBudgets(0, 0), {
      count: (profileId, outcome) => counted.push(`${profileId} ${outcome}`),
    });
    const primary = profile('primary');
    const twin = profile('twin', 'primary-model');
    const fallback = profile('fallback');
    const call = async (p: GatewayModelProfile) =>
      p === fallback ? answer : unavailable;
    // Twice failed (the circuit opens), then passed over; the twin's upstream is the
    // primary's, a retry the empty budget refuses.
    for (let i = 0; i < 3; i++) {
      await executor.run([primary, twin, fallback], call);
    }
    expect(counted).toEqual([
      'primary upstream-unavailable',
      'twin retry-budget-exhausted',
      'fallback success',
      'primary upstream-unavailable',
      'twin retry-budget-exhausted',
      'fallback success',
      'primary circuit-open',
      'twin upstream-unavailable',
      'fallback success',
    ]);
  });

  it('calls an upstream a second time only while the retry budget lasts', async () => {
    const upstreams = health();
    const executor = new FallbackExecutor(upstreams, new RetryBudgets(0, 1));
    // Two profiles on one deployment, then another upstream.
    const first = profile('first', 'shared-model');
    const twin = profile('twin', 'shared-model');
    const other = profile('other');
    const calls: string[] = [];
    const call = async (p: GatewayModelProfile) => {
      calls.push(p.id);
      return p === other ? answer : unavailable;
    };
    await executor.run([first, twin, other], call);
    await executor.run([twin, first, other], call);
    // The reserve of one paid for the first retry; the second request went on to `other`.
    expect(calls).toEqual(['first', 'twin', 'other', 'twin', 'other']);
  });

  it("keeps a retry budget per upstream: others' calls do not pay for its retries", async () => {
    // Circuits that stay closed: only the budget keeps a second call away.
    const upstreams = new UpstreamHealth({
      failureThreshold: 100,
      openMs: 1000,
      now: () => now,
    });
    const executor = new FallbackExecutor(upstreams, new RetryBudgets(0.5, 1));
    const first = profile('first', 'shared-model');
    const twin = profile('twin', 'shared-model');
    const other = profile('other');
    const calls: string[] = [];
    const call = async (p: GatewayModelProfile) => {
      calls.push(p.id);
      return p === other ? answer : unavailable;
    };
    // The reserve of one pays for the first retry.
    await executor.run([first, twin, other], call);
    // Calls to another upstream fill that upstream's budget, not this one's.
    for (let i = 0; i < 4; i++) await executor.run([other], call);
    calls.length = 0;
    await executor.run([first, twin, other], call);
    expect(calls).toEqual(['first', 'other']);
    // Two more calls that reach it (half a token each) pay for its next retry.
    await executor.run([first, other], call);
    calls.length = 0;
    await executor.run([first, twin, other], call);
    expect(calls).toEqual(['first', 'twin', 'other']);
  });

  it('earns an upstream no retry for a request its profile could not express', async () => {
    const upstreams = new UpstreamHealth({
      failureThreshold: 100,
      openMs: 1000,
      now: () => now,
    });
    const executor = new FallbackExecutor(upstreams, new RetryBudgets(0.5, 1));
    const first = profile('first', 'shared-model');
    const twin = profile('twin', 'shared-model');
    const other = profile('other');
    const cannotServe: UpstreamResult = {
      kind: 'failure',
      failure: {
        errorClass: 'invalid-request',
        retriable: false,
        cannotServe: true,
        message: 'request cannot be translated for this protocol',
      },
    };
    const calls: string[] = [];
    let expressible = true;
    const call = async (p: GatewayModelProfile) => {
      calls.push(p.id);
      if (p === other) return answer;
      return expressible ? unavailable : cannotServe;
    };
    // The reserve pays for one retry.
    await executor.run([first, twin, other], call);
    // Two requests `first` could not express: its upstream saw neither.
    expressible = false;
    await executor.run([first, other], call);
    await executor.run([first, other], call);
    expressible = true;
    calls.length = 0;
    // One call's half token: not enough for a retry.
    await executor.run([first, twin, other], call);
    expect(calls).toEqual(['first', 'other']);
  });

  it('tells when a circuit it met open lets calls through again, not a default wait', async () => {
    now = 0;
    const upstreams = health();
    const executor = new FallbackExecutor(upstreams, new RetryBudgets());
    const only = profile('only');
    // Opened after routing (the request still had it as a route): its 1 s is the word.
    upstreams.get('only').breaker.onFailure();
    upstreams.get('only').breaker.onFailure();
    now = 400;
    const outcome = await executor.run([only], async () => answer);
    expect(outcome.ok).toBe(false);
    expect(!outcome.ok && outcome.failure.retryAfterSeconds).toBe(1);
  });

  it('spends no retry on an attempt it skips past an open circuit', async () => {
    const upstreams = health();
    const budgets = new RetryBudgets(0, 1);
    const executor = new FallbackExecutor(upstreams, budgets);
    const first = profile('first', 'shared-model');
    const twin = profile('twin', 'shared-model');
    const other = profile('other');
    // The twin (the same deployment under another id) has its circuit open.
    upstreams.get('twin').breaker.onFailure();
    upstreams.get('twin').breaker.onFailure();
    const calls: string[] = [];
    const call = async (p: GatewayModelProfile) => {
      calls.push(p.id);
      return p === other ? answer : unavailable;
    };
    // Twice: a third failure would open the first's circuit too (threshold 2).
    await executor.run([first, twin, other], call);
    await executor.run([first, twin, other], call);
    expect(calls).toEqual(['first', 'other', 'first', 'other']);
    // Its reserve of one is whole: a real retry still gets it.
    expect(budgets.of(first).tryRetry()).toBe(true);
  });

  it('gives back the half-open probe slot and the in-flight count when the call throws', async () => {
    now = 0;
    const upstreams = health();
    const executor = new FallbackExecutor(upstreams, new RetryBudgets());
    const primary = profile('primary');
    const status = upstreams.get('primary');
    status.breaker.onFailure();
    status.breaker.onFailure();
    now = 1000;
    expect(status.breaker.state).toBe('half-open');
    // A request the adapter cannot even send throws instead of returning a failure.
    await expect(
      executor.run([primary], async () => {
        throw new RangeError('Maximum call stack size exceeded');
      }),
    ).rejects.toThrow(RangeError);
    expect(status.inFlight).toBe(0);
    expect(status.breaker.refusesCalls()).toBe(false);
    const outcome = await executor.run([primary], async () => answer);
    expect(outcome.ok).toBe(true);
    if (outcome.ok) outcome.finish('success');
    expect(status.breaker.state).toBe('closed');
  });

  it('hands its context to every attempt, so that callers need no closure per request', async () => {
    const executor = new FallbackExecutor(health(), new RetryBudgets(1, 1));
    const context = { request: 'the caller’s exchange' };
    const seen: Array<[string, unknown]> = [];
    const outcome = await executor.run(
      [profile('first'), profile('second')],
      async (attempt, handed) => {
        seen.push([attempt.id, handed]);
        return attempt.id === 'first' ? unavailable : answer;
      },
      context,
    );
    expect(outcome.ok).toBe(true);
    if (outcome.ok) outcome.finish('success');
    expect(seen).toEqual([
      ['first', context],
      ['second', context],
    ]);
  });

  it('tells which attempts it passed over without a call, and why, for their trace', async () => {
    const upstreams = health();
    const executor = new FallbackExecutor(upstreams, new RetryBudgets(0, 0));
    const primary = profile('primary');
    const twin = profile('twin', 'primary-model');
    const fallback = profile('fallback');
    upstreams.get('primary').breaker.onFailure();
    upstreams.get('primary').breaker.onFailure();
    const context = { trace: 'the request’s' };
    const skipped: Array<[string, string, unknown]> = [];
    const calls: string[] = [];
    const outcome = await executor.run(
      [primary, twin, fallback],
      async p => {
        calls.push(p.id);
        return p === fallback ? answer : unavailable;
      },
      context,
      (p, reason, handed) => skipped.push([p.id, reason, handed]),
    );
    expect(outcome.ok).toBe(true);
    if (outcome.ok) outcome.finish('success');
    // The open circuit is skipped; `twin` is called (another profile, not a retry of it).
    expect(skipped).toEqual([['primary', 'circuit_open', context]]);
    expect(calls).toEqual(['twin', 'fallback']);

    // `twin` failed: calling its upstream again would be a retry, and the budget has none.
    const again: string[] = [];
    await executor.run(
      [twin, profile('twin-again', 'primary-model'), fallback],
      async p => (p === fallback ? answer : unavailable),
      undefined,
      (p, reason) => again.push(`${p.id}:${reason}`),
    );
    expect(again).toEqual(['twin-again:retry_budget_exhausted']);
  });
});
