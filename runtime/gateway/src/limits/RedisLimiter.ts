import Redis from 'ioredis';
import {
  Limiter,
  LimitRequest,
  LimitVerdict,
  limitKeys,
  minuteOf,
  monthOf,
  NANO,
  rejection,
  Reservation,
  toNano,
} from './Limiter';
import { SpentHints } from './SpentHints';

/**
 * Checks every limit and reserves in one script, so replicas sharing the Redis cannot both
 * pass a check that only one of them fits. Returns {0, remaining} on success, or the failed
 * check (1 requests, 2 tokens, 3 tenant budget, 4 agent budget) and the budget left.
 */
const RESERVE_SCRIPT = `
local requests = tonumber(redis.call('GET', KEYS[1]) or '0')
if requests + 1 > tonumber(ARGV[1]) then return {1, 0} end
local tokens = tonumber(redis.call('GET', KEYS[2]) or '0')
local asked = tonumber(ARGV[3])
if tokens > 0 and tokens + asked > tonumber(ARGV[2]) then return {2, 0} end
local budget = tonumber(ARGV[4])
local cost = tonumber(ARGV[5])
local spent = tonumber(redis.call('GET', KEYS[3]) or '0')
if spent + cost > budget then return {3, budget - spent} end
local agentBudget = tonumber(ARGV[6])
if agentBudget >= 0 then
  local agentSpent = tonumber(redis.call('GET', KEYS[4]) or '0')
  if agentSpent + cost > agentBudget then return {4, budget - spent} end
  redis.call('INCRBY', KEYS[4], ARGV[5])
  redis.call('EXPIRE', KEYS[4], ARGV[8])
end
redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], ARGV[7])
redis.call('INCRBY', KEYS[2], ARGV[3])
redis.call('PEXPIRE', KEYS[2], ARGV[7])
redis.call('INCRBY', KEYS[3], ARGV[5])
redis.call('EXPIRE', KEYS[3], ARGV[8])
return {0, budget - spent - cost}
`;

/** Corrects counters that still exist; an expired window has nothing left to correct. */
const SETTLE_SCRIPT = `
for i = 1, #KEYS do
  if ARGV[i] ~= '0' and redis.call('EXISTS', KEYS[i]) == 1 then
    redis.call('INCRBY', KEYS[i], ARGV[i])
  end
end
return 0
`;

const MINUTE_TTL_MS = 61_000;
const MONTH_TTL_S = 32 * 24 * 3600;

type ScriptedRedis = Redis & {
  cellportReserve(...args: Array<string | number>): Promise<[number, number]>;
  cellportSettle(...args: Array<string | number>): Promise<number>;
};

/** Production counters: one Redis shared by every gateway replica of a cell. */
export class RedisLimiter implements Limiter {
  private readonly redis: ScriptedRedis;
  private readonly hints = new SpentHints();

  private lastErrorAt = 0;

  /**
   * @param onError - told about connection errors, at most once every 30 s (ioredis reports
   *   every reconnect attempt); requests meanwhile fail closed with 503.
   */
  constructor(
    redisOrUrl: Redis | string,
    onError: (error: Error) => void = () => {},
  ) {
    const redis =
      typeof redisOrUrl === 'string'
        ? new Redis(redisOrUrl, {
            maxRetriesPerRequest: 2,
            enableOfflineQueue: true,
          })
        : redisOrUrl;
    redis.on('error', (error: Error) => {
      const now = Date.now();
      if (now - this.lastErrorAt >= 30_000) {
        this.lastErrorAt = now;
        onError(error);
      }
    });
    redis.defineCommand('cellportReserve', {
      numberOfKeys: 4,
      lua: RESERVE_SCRIPT,
    });
    redis.defineCommand('cellportSettle', {
      numberOfKeys: 3,
      lua: SETTLE_SCRIPT,
    });
    this.redis = redis as ScriptedRedis;
  }

  async reserve(request: LimitRequest): Promise<LimitVerdict> {
    const minute = minuteOf(request.nowMs);
    const month = monthOf(request.nowMs);
    const keys = limitKeys(request.tenant, request.agent, minute, month);
    const cost = toNano(request.costUsd);
    const agentBudget =
      request.agent !== undefined && request.agentBudgetUsd !== undefined
        ? toNano(request.agentBudgetUsd)
        : -1;
    const [check, remainingNano] = await this.redis.cellportReserve(
      keys.requests,
      keys.tokens,
      keys.tenantBudget,
      keys.agentBudget,
      request.limits.requestsPerMinute,
      request.limits.tokensPerMinute,
      request.tokens,
      toNano(request.tenantBudgetUsd),
      cost,
      agentBudget,
      MINUTE_TTL_MS,
      MONTH_TTL_S,
    );
    if (check === 3 || check === 0) {
      this.hints.set(
        request.tenant,
        month,
        toNano(request.tenantBudgetUsd) - remainingNano,
      );
    }
    switch (check) {
      case 0:
        return {
          ok: true,
          reservation: {
            tenant: request.tenant,
            agent: request.agent,
            minute,
            month,
            tokens: request.tokens,
            costNanoUsd: cost,
            remainingUsd: remainingNano / NANO,
          },
        };
      case 1:
        return rejection('requests', request);
      case 2:
        return rejection('tokens', request);
      case 3:
        return rejection('tenant-budget', request);
      default:
        return rejection('agent-budget', request);
    }
  }

  async settle(
    reservation: Reservation,
    actual: { tokens: number; costUsd: number },
  ): Promise<void> {
    const keys = limitKeys(
      reservation.tenant,
      reservation.agent,
      reservation.minute,
      reservation.month,
    );
    const costDelta = toNano(actual.costUsd) - reservation.costNanoUsd;
    await this.redis.cellportSettle(
      keys.tokens,
      keys.tenantBudget,
      keys.agentBudget,
      actual.tokens - reservation.tokens,
      costDelta,
      reservation.agent !== undefined ? costDelta : 0,
    );
    this.hints.add(reservation.tenant, reservation.month, costDelta);
  }

  release(reservation: Reservation): Promise<void> {
    return this.settle(reservation, { tokens: 0, costUsd: 0 });
  }

  spentUsdHint(tenant: string, nowMs: number): number | undefined {
    return this.hints.spentUsd(tenant, nowMs);
  }

  /** What the tenant has spent (settled plus reserved) this month, in US dollars. */
  async spentUsd(tenant: string, nowMs: number): Promise<number> {
    const key = limitKeys(tenant, undefined, 0, monthOf(nowMs)).tenantBudget;
    return Number((await this.redis.get(key)) ?? 0) / NANO;
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => undefined);
  }
}
