import { connectTestRedis } from '../__testUtils__/testRedis';
import {
  CounterRedis,
  readOutcomes,
  withCounterScripts,
} from './counterScripts';

const run = Math.random().toString(36).slice(2, 10);
const counter = `cellport:{scripts-${run}}:budget`;
const receipt = (n: number) => `cellport:{scripts-${run}}:claim:test:${n}`;

/** One claim of two requests on one counter (limit 100): `amounts` each, in order. */
const claim = (n: number, amounts: [number, number]) => [
  3,
  receipt(n),
  counter,
  counter,
  2,
  1,
  1,
  amounts[0],
  100,
  60_000,
  0,
  amounts[1],
  100,
  60_000,
  0,
];

describe('the counter scripts', () => {
  let redis: CounterRedis;

  beforeAll(async () => {
    redis = withCounterScripts(await connectTestRedis());
  });
  afterEach(async () => {
    const keys = await redis.keys(`cellport:{scripts-${run}}:*`);
    if (keys.length > 0) await redis.del(...keys);
  });
  afterAll(() => redis.disconnect());

  it('takes back only what a claim admitted, once however often it is revoked', async () => {
    // The second request does not fit beside the first: only 60 is admitted.
    const outcomes = readOutcomes(
      await redis.cellportClaim(...claim(1, [60, 50])),
    );
    expect(outcomes.map(outcome => outcome.failed)).toEqual([-1, 0]);
    await redis.incrby(counter, 30);
    expect(await redis.cellportRevoke(...claim(1, [60, 50]))).toBe(1);
    expect(await redis.cellportRevoke(...claim(1, [60, 50]))).toBe(0);
    expect(Number(await redis.get(counter))).toBe(30);
  });

  it('keeps a claim that arrives after its revoke from counting', async () => {
    expect(await redis.cellportRevoke(...claim(2, [10, 20]))).toBe(0);
    expect(await redis.cellportClaim(...claim(2, [10, 20]))).toEqual([]);
    expect(await redis.get(counter)).toBeNull();
    // Other claims go on as before.
    const outcomes = readOutcomes(
      await redis.cellportClaim(...claim(3, [10, 20])),
    );
    expect(outcomes.map(outcome => outcome.failed)).toEqual([-1, -1]);
    expect(Number(await redis.get(counter))).toBe(30);
  });

  it('never takes a counter below zero, nor brings back one that expired', async () => {
    await redis.cellportClaim(...claim(4, [40, 40]));
    await redis.set(counter, 50, 'KEEPTTL');
    await redis.cellportRevoke(...claim(4, [40, 40]));
    expect(Number(await redis.get(counter))).toBe(0);

    await redis.cellportClaim(...claim(5, [40, 40]));
    await redis.del(counter);
    await redis.cellportRevoke(...claim(5, [40, 40]));
    expect(await redis.get(counter)).toBeNull();
  });
});
