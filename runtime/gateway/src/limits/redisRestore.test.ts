import Redis from 'ioredis';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  freePort,
  startRedisServer,
  TestProcess,
} from '../__testUtils__/processes';
import type { LimitRequest, Reservation } from './Limiter';
import { RedisLimiter } from './RedisLimiter';

// A Redis of the test's own, killed and restarted from a snapshot.
jest.setTimeout(60_000);

const now = Date.parse('2026-11-23T10:00:00Z');
const tenant = 'restored';

/** A request that may cost `costUsd` of a $1 budget. */
const request = (costUsd: number): LimitRequest => ({
  tenant,
  limits: { requestsPerMinute: 1000, tokensPerMinute: 10_000_000 },
  tenantBudgetUsd: 1,
  tokens: 1000,
  costUsd,
  nowMs: now,
});

async function until<T>(attempt: () => Promise<T>): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await attempt();
    } catch (error) {
      if (i >= 100) throw error;
      await new Promise(resolve => setTimeout(resolve, 100));
    }
  }
}

describe('RedisLimiter when Redis comes back from a snapshot older than its reservations', () => {
  let dir: string;
  let port: number;
  let redis: TestProcess;
  let a: RedisLimiter;
  let b: RedisLimiter;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cellport-redis-restore-'));
    port = await freePort();
    redis = await startRedisServer(port, { snapshotDir: dir });
    a = new RedisLimiter(`redis://127.0.0.1:${port}`);
    b = new RedisLimiter(`redis://127.0.0.1:${port}`);
  });
  afterAll(async () => {
    await Promise.all([a.close(), b.close()]);
    await redis.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  it('charges the requests in flight what they used, and never gives back budget the snapshot already lost', async () => {
    // $0.60 spent and saved.
    const spent = await a.reserve(request(0.6));
    if (!spent.ok) throw new Error('the first request must fit');
    await a.settle(spent.reservation, { tokens: 1000, costUsd: 0.6 });
    const admin = new Redis(`redis://127.0.0.1:${port}`);
    await until(async () => {
      if ((await a.monthSpendUsd([tenant], now))[0] < 0.6 - 1e-9) {
        throw new Error('the settled cost has not landed yet');
      }
    });
    await admin.save();
    admin.disconnect();

    // Four requests in flight, reserved after the snapshot: $1 counted.
    const inFlight: Reservation[] = [];
    for (let i = 0; i < 4; i++) {
      const verdict = await a.reserve(request(0.1));
      if (!verdict.ok) throw new Error('the in-flight requests must fit');
      inFlight.push(verdict.reservation);
    }

    // Redis dies and comes back from the snapshot: $0.60, none of the three.
    await redis.kill('SIGKILL');
    redis = await startRedisServer(port, { snapshotDir: dir });
    await until(async () => {
      const seen = (await b.monthSpendUsd([tenant], now))[0];
      if (Math.abs(seen - 0.6) > 1e-9) throw new Error(`saw ${seen}`);
    });

    // Two end having used $0.01 each; one, whose upstream ignored max_tokens, $0.20 (a charge
    // beyond its reservation); one exactly what it reserved. What the counter holds is what
    // was spent.
    const used = [
      { tokens: 100, costUsd: 0.01 },
      { tokens: 100, costUsd: 0.01 },
      { tokens: 100, costUsd: 0.2 },
      { tokens: 1000, costUsd: 0.1 },
    ];
    // Each settles once, as the gateway settles it: a charge that cannot land yet (this
    // replica has not reconnected) is held and sent again by the limiter itself, and settling
    // a second time would count it twice.
    await Promise.allSettled(
      inFlight.map((reservation, i) => a.settle(reservation, used[i])),
    );
    await until(async () => {
      const seen = (await b.monthSpendUsd([tenant], now))[0];
      if (Math.abs(seen - 0.92) > 1e-9) throw new Error(`saw ${seen}`);
    });

    // What is left of the budget, $0.08, and not a cent more.
    expect((await b.reserve(request(0.08))).ok).toBe(true);
    expect(await b.reserve(request(0.01))).toMatchObject({
      ok: false,
      reason: 'budget-exhausted',
    });
  });
});
