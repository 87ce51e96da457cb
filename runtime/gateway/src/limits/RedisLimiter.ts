import Redis from 'ioredis';
import { once } from 'node:events';
import { limitKeys, monthOf, NANO } from './Limiter';
import { RefundQueue } from './RefundQueue';
import { ClaimBatches, SendClaims, TenantClaims } from './ClaimBatches';
import { HeldCharges, SendCharge } from './HeldCharges';
import { ClaimOutcome, CounterClaim, WindowedLimiter } from './WindowedLimiter';

/**
 * A tenant's held-back refunds, then each of its requests of one tick in arrival order:
 * `claimFits` and check-and-add, in one script, so replicas sharing the Redis cannot both pass
 * a check that only one of them fits. ARGV[1] is the number m of requests and ARGV[2..m+1]
 * the number of counters each claims; KEYS hold those counters request after request, then
 * the refunded ones. After the counts, ARGV holds four values per claimed counter (amount,
 * limit, TTL in ms, and 1 when the first claim of a window always fits), then one delta per
 * refunded counter, applied first and only to counters that still exist, never below zero
 * (as CORRECT_SCRIPT). Replies, per
 * request: the failed counter's 1-based index (0 when every amount was added), how many
 * counters were checked, and each checked counter's value before the request.
 */
const CLAIM_SCRIPT = `
local m = tonumber(ARGV[1])
local claimed = 0
for r = 1, m do
  claimed = claimed + tonumber(ARGV[1 + r])
end
local deltas = 1 + m + 4 * claimed
for i = claimed + 1, #KEYS do
  if redis.call('EXISTS', KEYS[i]) == 1
    and redis.call('INCRBY', KEYS[i], ARGV[deltas + i - claimed]) < 0 then
    redis.call('SET', KEYS[i], 0, 'KEEPTTL')
  end
end
local reply = {}
local key = 0
local arg = 1 + m
for r = 1, m do
  local n = tonumber(ARGV[1 + r])
  local failed = 0
  local before = {}
  for i = 1, n do
    local at = arg + (i - 1) * 4
    local current = tonumber(redis.call('GET', KEYS[key + i]) or '0')
    before[i] = current
    if current + tonumber(ARGV[at + 1]) > tonumber(ARGV[at + 2])
      and not (ARGV[at + 4] == '1' and current <= 0) then
      failed = i
      break
    end
  end
  if failed == 0 then
    for i = 1, n do
      local at = arg + (i - 1) * 4
      redis.call('INCRBY', KEYS[key + i], ARGV[at + 1])
      redis.call('PEXPIRE', KEYS[key + i], ARGV[at + 3])
    end
  end
  reply[#reply + 1] = failed
  reply[#reply + 1] = #before
  for i = 1, #before do
    reply[#reply + 1] = before[i]
  end
  key = key + n
  arg = arg + 4 * n
end
return reply
`;

/**
 * A charge beyond a reservation, once per id: KEYS[1] remembers the id (for ARGV[1] ms), the
 * other keys are the counters to add to, ARGV[2..] their deltas. Counters that no longer
 * exist are left alone, as CORRECT_SCRIPT leaves them.
 */
const CHARGE_SCRIPT = `
if not redis.call('SET', KEYS[1], '1', 'NX', 'PX', ARGV[1]) then
  return 0
end
for i = 2, #KEYS do
  if redis.call('EXISTS', KEYS[i]) == 1 then
    redis.call('INCRBY', KEYS[i], ARGV[i])
  end
end
return 1
`;

/**
 * Corrects counters that still exist; an expired window has nothing left to correct. No
 * counter goes below zero: only a refund of a reservation made before Redis lost its counters
 * (restarted empty) could take it there, and a negative counter is budget never granted.
 */
const CORRECT_SCRIPT = `
for i = 1, #KEYS do
  if redis.call('EXISTS', KEYS[i]) == 1
    and redis.call('INCRBY', KEYS[i], ARGV[i]) < 0 then
    redis.call('SET', KEYS[i], 0, 'KEEPTTL')
  end
end
return 0
`;

type ScriptedRedis = Redis & {
  cellportClaim(...args: Array<string | number>): Promise<number[]>;
  cellportCorrect(...args: Array<string | number>): Promise<number>;
  cellportCharge(...args: Array<string | number>): Promise<number>;
};

function toError(reason: unknown): Error {
  return reason instanceof Error ? reason : new Error(String(reason));
}

/** CLAIM_SCRIPT's reply, request by request. */
function readOutcomes(reply: number[]): ClaimOutcome[] {
  const outcomes: ClaimOutcome[] = [];
  let at = 0;
  while (at < reply.length) {
    const checked = reply[at + 1];
    outcomes.push({
      failed: reply[at] - 1,
      before: reply.slice(at + 2, at + 2 + checked),
    });
    at += 2 + checked;
  }
  return outcomes;
}

/**
 * How long one Redis command may take before its request is refused with 503: a Redis that
 * hangs (stopped, overloaded, a black-holed link) must not hang requests.
 */
export const REDIS_COMMAND_TIMEOUT_MS = 1000;

/**
 * The longest a refund waits for its tenant's next claim before it is sent on its own: what
 * other replicas may see of a counter that is higher than it will be.
 */
export const REFUND_DELAY_MS = 20;

/** How often a charge that failed to reach Redis is sent again. */
const CHARGE_RETRY_MS = 500;

/**
 * How long Redis remembers a charge's id. A second copy comes at most a retry after the first
 * landed (its reply lost), so minutes are plenty; a key per overcharge kept for a day would
 * grow with an upstream that always ignores `max_tokens`.
 */
const CHARGE_ID_TTL_MS = 10 * 60 * 1000;

/**
 * Reconnection: exponential from 50 ms to 1 s, with jitter so that replicas do not reconnect
 * in lockstep. ioredis keeps reconnecting for as long as the limiter lives.
 */
function reconnectDelayMs(attempt: number): number {
  const ceiling = Math.min(1000, 50 * 2 ** Math.min(attempt, 5));
  return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
}

/**
 * Production counters: one Redis shared by every gateway replica of a cell.
 *
 * Outage policy: budgets and limits fail closed, fast and bounded. While Redis is unreachable
 * a command is refused at once (no offline queue, so nothing piles up to be replayed later and
 * count requests that were already refused); a command in flight when the connection drops is
 * failed, not resent (a resent claim could count twice); a command without an answer fails
 * after REDIS_COMMAND_TIMEOUT_MS. Each such failure becomes a 503 `limits_unavailable`, and the
 * client reconnects by itself. Only before the very first connection do commands wait for it,
 * as long as one command may take, so a freshly started gateway does not refuse its first
 * requests. Refunds held back (`RefundQueue`) that a failed command carried are not resent:
 * their counters stay higher than spent, which refuses sooner, never later. A charge beyond a
 * reservation whose command failed is held (`HeldCharges`) and lands, once, before its
 * tenant's next claim, so no request is admitted on a budget that forgot it.
 */
export class RedisLimiter extends WindowedLimiter {
  private readonly redis: ScriptedRedis;

  private lastErrorAt = 0;
  private connectedOnce = false;
  private readonly refunds = new RefundQueue();
  private refundTimer?: NodeJS.Timeout;

  /**
   * @param onError - told about connection errors, at most once every 30 s (ioredis reports
   *   every reconnect attempt); requests meanwhile fail closed with 503.
   */
  constructor(
    redisOrUrl: Redis | string,
    onError: (error: Error) => void = () => {},
  ) {
    super();
    const redis =
      typeof redisOrUrl === 'string'
        ? new Redis(redisOrUrl, {
            enableOfflineQueue: false,
            maxRetriesPerRequest: 0,
            autoResendUnfulfilledCommands: false,
            commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
            connectTimeout: 2 * REDIS_COMMAND_TIMEOUT_MS,
            retryStrategy: reconnectDelayMs,
            // Commands of concurrent requests share one socket write per tick: a write per
            // command was most of Redis mode's CPU (bench/gateway). Claims are gathered per
            // tick by `ClaimBatches` instead, which saves auto-pipelining's objects too.
            enableAutoPipelining: true,
            autoPipeliningIgnoredCommands: ['cellportClaim'],
          })
        : redisOrUrl;
    redis.on('ready', () => {
      this.connectedOnce = true;
    });
    this.reportError = (error: Error) => {
      const now = Date.now();
      if (now - this.lastErrorAt >= 30_000) {
        this.lastErrorAt = now;
        onError(error);
      }
    };
    redis.on('error', this.reportError);
    // No fixed number of keys: a request claims four to six counters, the count goes first.
    redis.defineCommand('cellportClaim', { lua: CLAIM_SCRIPT });
    redis.defineCommand('cellportCorrect', { lua: CORRECT_SCRIPT });
    redis.defineCommand('cellportCharge', { lua: CHARGE_SCRIPT });
    this.redis = redis as ScriptedRedis;
  }

  private readonly reportError: (error: Error) => void;

  /** Waits (bounded) for the first connection; afterwards returns at once, connected or not. */
  private async firstConnection(): Promise<void> {
    if (this.connectedOnce || this.redis.status === 'ready') return;
    await once(this.redis, 'ready', {
      signal: AbortSignal.timeout(REDIS_COMMAND_TIMEOUT_MS),
    }).catch(() => undefined);
  }

  protected claim(
    claims: CounterClaim[],
    _nowMs: number,
    tenant: string,
  ): Promise<ClaimOutcome> {
    return this.batches.claim(tenant, claims);
  }

  /** One script per tenant; several tenants' scripts go in one pipeline (one socket write). */
  private readonly sendClaims: SendClaims = async groups => {
    await this.firstConnection();
    if (!this.charges.empty) return this.afterHeldCharges(groups);
    return this.sendGroups(groups);
  };

  /**
   * A tenant's held charges land before its claims, or a claim could pass a limit they had
   * used up; a tenant whose charges cannot land is refused (fail closed), the others not.
   */
  private async afterHeldCharges(
    groups: TenantClaims[],
  ): Promise<Array<ClaimOutcome[] | Error>> {
    const landed = await Promise.allSettled(
      groups.map(group => this.charges.land(group.tenant)),
    );
    const ready = groups.filter((_, g) => landed[g].status === 'fulfilled');
    const sent = ready.length > 0 ? await this.sendGroups(ready) : [];
    let next = 0;
    return landed.map(result =>
      result.status === 'fulfilled' ? sent[next++] : toError(result.reason),
    );
  }

  private async sendGroups(
    groups: TenantClaims[],
  ): Promise<Array<ClaimOutcome[] | Error>> {
    const commands = groups.map(group => this.claimArguments(group));
    if (commands.length === 1) {
      return [readOutcomes(await this.redis.cellportClaim(...commands[0]))];
    }
    const pipeline = this.redis.pipeline() as ReturnType<Redis['pipeline']> & {
      cellportClaim(...args: Array<string | number>): unknown;
    };
    for (const args of commands) pipeline.cellportClaim(...args);
    const results = (await pipeline.exec()) ?? [];
    return groups.map((_, g) => {
      const [error, reply] = results[g] ?? [new Error('no reply')];
      return error ?? readOutcomes(reply as number[]);
    });
  }

  private readonly batches = new ClaimBatches(this.sendClaims);

  /** CLAIM_SCRIPT's keys and arguments for one tenant's requests and its held refunds. */
  private claimArguments({ tenant, requests }: TenantClaims) {
    const refunds = this.refunds.take(tenant);
    const keys: string[] = [];
    const counts: number[] = [];
    const values: number[] = [];
    for (const claims of requests) {
      counts.push(claims.length);
      for (const claim of claims) {
        keys.push(claim.key);
        values.push(
          claim.amount,
          claim.limit,
          claim.ttlMs,
          claim.firstFits ? 1 : 0,
        );
      }
    }
    keys.push(...refunds.keys);
    return [
      keys.length,
      ...keys,
      requests.length,
      ...counts,
      ...values,
      ...refunds.deltas,
    ];
  }

  /**
   * Refunds wait for the tenant's next claim, at most REFUND_DELAY_MS; a charge beyond the
   * reservation (an upstream that ignored `max_tokens`) counts at once, so the tenant is
   * refused from the next request on.
   */
  protected async correct(
    keys: string[],
    deltas: number[],
    tenant: string,
  ): Promise<void> {
    if (deltas.every(delta => delta < 0)) {
      this.refunds.add(tenant, keys, deltas);
      this.refundTimer ??= setTimeout(() => {
        this.refundTimer = undefined;
        this.sendRefunds().catch(this.reportError);
      }, REFUND_DELAY_MS).unref();
      return;
    }
    await this.firstConnection();
    await this.charges.apply(tenant, HeldCharges.charge(keys, deltas));
  }

  private readonly sendCharge: SendCharge = async (tenant, charge) => {
    await this.redis.cellportCharge(
      charge.keys.length + 1,
      `cellport:{${tenant}}:charge:${charge.id}`,
      ...charge.keys,
      CHARGE_ID_TTL_MS,
      ...charge.deltas,
    );
  };

  private readonly charges = new HeldCharges(
    this.sendCharge,
    CHARGE_RETRY_MS,
    error => this.reportError(error),
  );

  /** Sends every held-back refund, one command per tenant. */
  private async sendRefunds(): Promise<void> {
    clearTimeout(this.refundTimer);
    this.refundTimer = undefined;
    const pending = this.refunds.takeAll();
    if (pending.length === 0) return;
    await this.firstConnection();
    await Promise.all(
      pending
        .filter(({ keys }) => keys.length > 0)
        .map(({ keys, deltas }) =>
          this.redis.cellportCorrect(keys.length, ...keys, ...deltas),
        ),
    );
  }

  protected async read(keys: string[]): Promise<number[]> {
    // What this replica gave back, or still owes, is part of what it reads.
    await this.sendRefunds();
    await this.firstConnection();
    if (!this.charges.empty) await this.charges.landAll();
    const values = await this.redis.mget(...keys);
    return values.map(value => Number(value ?? 0));
  }

  /** What the tenant has spent (settled plus reserved) this month, in US dollars. */
  async spentUsd(tenant: string, nowMs: number): Promise<number> {
    const key = limitKeys(tenant, undefined, 0, monthOf(nowMs)).tenantBudget;
    await this.sendRefunds();
    await this.firstConnection();
    if (!this.charges.empty) await this.charges.land(tenant);
    return Number((await this.redis.get(key)) ?? 0) / NANO;
  }

  async close(): Promise<void> {
    const unsent = await this.charges.close();
    if (unsent > 0) {
      this.reportError(
        new Error(
          `${unsent} charges beyond their reservations could not reach Redis before closing`,
        ),
      );
    }
    await this.sendRefunds().catch(this.reportError);
    await this.redis.quit().catch(() => undefined);
  }
}
