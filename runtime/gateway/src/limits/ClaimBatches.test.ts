import {
  ClaimBatches,
  MAX_GATHER_MS,
  MAX_GATHER_TURNS,
  MAX_REQUESTS_PER_GROUP,
  TenantClaims,
} from './ClaimBatches';
import type { ClaimOutcome, CounterClaim } from './WindowedLimiter';

const counter = (key: string): CounterClaim => ({
  key,
  amount: 1,
  limit: 10,
  ttlMs: 1000,
  firstFits: false,
});

/** An outcome that names the request it answers, so a mix-up shows. */
const answer = (claims: CounterClaim[]): ClaimOutcome => ({
  failed: -1,
  before: [Number(claims[0].key.split(':')[1])],
});

describe('ClaimBatches', () => {
  it("sends a turn's claims once, one group per tenant in arrival order, and answers each its own outcome", async () => {
    const sent: TenantClaims[][] = [];
    const batches = new ClaimBatches(async groups => {
      sent.push(groups);
      return groups.map(group => group.requests.map(answer));
    });
    const outcomes = await Promise.all([
      batches.claim('a', [counter('a:1')], 'r'),
      batches.claim('b', [counter('b:2')], 'r'),
      batches.claim('a', [counter('a:3')], 'r'),
    ]);
    expect(outcomes.map(outcome => outcome.before[0])).toEqual([1, 2, 3]);
    expect(sent).toHaveLength(1);
    expect(
      sent[0].map(group => [
        group.tenant,
        group.requests.map(claims => claims[0].key),
      ]),
    ).toEqual([
      ['a', ['a:1', 'a:3']],
      ['b', ['b:2']],
    ]);

    // The next turn is a send of its own.
    await batches.claim('a', [counter('a:4')], 'r');
    expect(sent).toHaveLength(2);
  });

  it('waits while turns of the event loop bring claims, at most MAX_GATHER_TURNS turns after the first', async () => {
    const sent: number[] = [];
    // No time limit here, so that a slow turn of a loaded machine changes nothing.
    const batches = new ClaimBatches(async groups => {
      sent.push(groups[0].requests.length);
      return groups.map(group => group.requests.map(answer));
    }, Infinity);
    const nextTurn = () => new Promise(resolve => setImmediate(resolve));
    const claims: Promise<ClaimOutcome>[] = [];
    // A claim in each of three turns, then a turn without one: one send.
    for (let turn = 0; turn < 3; turn++) {
      claims.push(batches.claim('a', [counter(`a:${turn}`)], 'r'));
      await nextTurn();
    }
    await Promise.all(claims.splice(0));
    expect(sent).toEqual([3]);

    // Claims in every turn: sent once MAX_GATHER_TURNS turns have waited, so none waits
    // longer however busy the gateway is.
    for (let turn = 0; turn < 2 * (MAX_GATHER_TURNS + 1); turn++) {
      claims.push(batches.claim('a', [counter(`a:${turn}`)], 'r'));
      await nextTurn();
    }
    await Promise.all(claims);
    expect(sent).toEqual([3, MAX_GATHER_TURNS + 1, MAX_GATHER_TURNS + 1]);
  });

  it('sends a batch once MAX_GATHER_MS have passed, however few turns that took', async () => {
    const sent: number[] = [];
    // Each turn takes 1.5 ms on this clock: the batch goes at the end of the turn that
    // reads 3 ms, with three claims, where the turn limit alone would wait for five.
    let clock = 0;
    const batches = new ClaimBatches(
      async groups => {
        sent.push(groups[0].requests.length);
        return groups.map(group => group.requests.map(answer));
      },
      MAX_GATHER_MS,
      () => clock,
    );
    const claims: Promise<ClaimOutcome>[] = [];
    for (let turn = 0; turn < MAX_GATHER_TURNS + 1; turn++) {
      claims.push(batches.claim('a', [counter(`a:${turn}`)], 'r'));
      await new Promise(resolve => setImmediate(resolve));
      clock += 0.75 * MAX_GATHER_MS;
    }
    await Promise.all(claims);
    expect(sent[0]).toBe(3);
    expect(sent.reduce((sum, size) => sum + size, 0)).toBe(
      MAX_GATHER_TURNS + 1,
    );
  });

  it('splits a large burst of one tenant into groups of at most MAX_REQUESTS_PER_GROUP', async () => {
    const sizes: number[] = [];
    const batches = new ClaimBatches(async groups => {
      sizes.push(...groups.map(group => group.requests.length));
      return groups.map(group => group.requests.map(answer));
    });
    const count = 2 * MAX_REQUESTS_PER_GROUP + 5;
    const outcomes = await Promise.all(
      Array.from({ length: count }, (_, i) =>
        batches.claim('a', [counter(`a:${i}`)], 'r'),
      ),
    );
    expect(sizes).toEqual([MAX_REQUESTS_PER_GROUP, MAX_REQUESTS_PER_GROUP, 5]);
    expect(outcomes.map(outcome => outcome.before[0])).toEqual(
      Array.from({ length: count }, (_, i) => i),
    );
  });

  it("fails only a failed group's requests; a failed send, or a missing answer, fails its requests", async () => {
    const failing = new ClaimBatches(async groups =>
      groups.map(group =>
        group.tenant === 'b'
          ? new Error('script failed')
          : group.requests.map(answer),
      ),
    );
    const [a, b] = await Promise.allSettled([
      failing.claim('a', [counter('a:1')], 'r'),
      failing.claim('b', [counter('b:2')], 'r'),
    ]);
    expect(a).toEqual({ status: 'fulfilled', value: answer([counter('a:1')]) });
    expect(b).toMatchObject({
      status: 'rejected',
      reason: { message: 'script failed' },
    });

    const down = new ClaimBatches(async () => {
      throw new Error('connection closed');
    });
    await expect(down.claim('a', [counter('a:1')], 'r')).rejects.toThrow(
      'connection closed',
    );

    const short = new ClaimBatches(async () => [[]]);
    await expect(short.claim('a', [counter('a:1')], 'r')).rejects.toThrow(
      'no answer for this claim',
    );
  });
});
