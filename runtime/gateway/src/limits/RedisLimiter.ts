import Redis from 'ioredis';
import { once } from 'node:events';
import { tenantBudgetKey, monthOf, NANO, reservationKey } from './Limiter';
import { Refund, refundArguments, RefundQueue } from './RefundQueue';
import { ClaimBatches, SendClaims, TenantClaims } from './ClaimBatches';
import { HeldCharges, SendCharge } from './HeldCharges';
import {
  ClaimOutcome,
  CounterClaim,
  MONTH_TTL_MS,
  Settlement,
  WindowedLimiter,
} from './WindowedLimiter';

/**
 * Settles reservations, from KEYS[k + 1] and ARGV[a + 1] on, laid out as `refundArguments`
 * lays them: each one's key, then its counters' deltas when the reservation is still open
 * (deleting it closes it), its actual amounts when Redis no longer holds it (restored from a
 * snapshot older than the reservation: the counters never held it, and refunding it would
 * give back budget that was spent). Only counters that still exist are touched (an expired
 * window has nothing to correct), never below zero (a negative counter is budget never
 * granted).
 */
const SETTLE = `
local function settle(k, a)
  local refunds = tonumber(ARGV[a + 1])
  a = a + 1
  for _ = 1, refunds do
    local n = tonumber(ARGV[a + 1])
    local open = redis.call('DEL', KEYS[k + 1]) == 1
    for i = 1, n do
      local amount = open and ARGV[a + 1 + i] or ARGV[a + 1 + n + i]
      if amount ~= '0' and redis.call('EXISTS', KEYS[k + 1 + i]) == 1
        and redis.call('INCRBY', KEYS[k + 1 + i], amount) < 0 then
        redis.call('SET', KEYS[k + 1 + i], 0, 'KEEPTTL')
      end
    end
    k = k + 1 + n
    a = a + 1 + 2 * n
  end
end
`;

/**
 * A tenant's held-back refunds (SETTLE), then each of its requests of one tick in arrival
 * order: `claimFits` and check-and-add, in one script, so replicas sharing the Redis cannot
 * both pass a check that only one of them fits; a request that fits holds its reservation
 * open. ARGV[1] is the number m of requests and ARGV[2..m+1] the number of counters each
 * claims; KEYS hold those counters request after request, then each request's reservation
 * key, then the refunds'. After the counts, ARGV holds four values per claimed counter
 * (amount, limit, TTL in ms, and 1 when the first claim of a window always fits), then how
 * long a reservation stays open, then the refunds. Replies, per request: the failed
 * counter's 1-based index (0 when every amount was added), how many counters were checked,
 * and each checked counter's value before the request.
 */
const CLAIM_SCRIPT = `${SETTLE}
local m = tonumber(ARGV[1])
local claimed = 0
for r = 1, m do
  claimed = claimed + tonumber(ARGV[1 + r])
end
local openFor = 1 + m + 4 * claimed + 1
settle(claimed + m, openFor)
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
    redis.call('SET', KEYS[claimed + r], 1, 'PX', ARGV[openFor])
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
 * A charge beyond a reservation, once per id: KEYS[1] remembers the id (for ARGV[1] ms); the
 * rest is one settlement (SETTLE).
 */
const CHARGE_SCRIPT = `${SETTLE}
if not redis.call('SET', KEYS[1], '1', 'NX', 'PX', ARGV[1]) then
  return 0
end
settle(1, 1)
return 1
`;

/** Settles refunds held back (SETTLE) on their own. */
const CORRECT_SCRIPT = `${SETTLE}
settle(0, 0)
return 0
`;

/**
 * A settlement as SETTLE takes it: every counter of the reservation, even one whose delta is
 * 0, since a Redis that lost the reservation is charged each counter's actual amount.
 */
function refundOf({
  reservation,
  tokens,
  costNanoUsd,
  tokenDelta,
  costDelta,
}: Settlement): Refund {
  const refund: Refund = {
    reservation: reservationKey(reservation.tenant, reservation.id),
    keys: [],
    deltas: [],
    actuals: [],
  };
  for (const key of reservation.tokenCounters) {
    refund.keys.push(key);
    refund.deltas.push(tokenDelta);
    refund.actuals.push(tokens);
  }
  for (const key of reservation.costCounters) {
    refund.keys.push(key);
    refund.deltas.push(costDelta);
    refund.actuals.push(costNanoUsd);
  }
  return refund;
}

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
    reservation: string,
  ): Promise<ClaimOutcome> {
    return this.batches.claim(tenant, claims, reservation);
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
  private claimArguments({ tenant, requests, reservations }: TenantClaims) {
    const refunds = refundArguments(this.refunds.take(tenant));
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
    for (const id of reservations) keys.push(reservationKey(tenant, id));
    keys.push(...refunds.keys);
    return [
      keys.length,
      ...keys,
      requests.length,
      ...counts,
      ...values,
      // A reservation stays open as long as the budget it holds: a request that outlives its
      // minute windows still settles into its month.
      MONTH_TTL_MS,
      ...refunds.args,
    ];
  }

  /**
   * Refunds wait for the tenant's next claim, at most REFUND_DELAY_MS; a charge beyond the
   * reservation (an upstream that ignored `max_tokens`) counts at once, so the tenant is
   * refused from the next request on.
   */
  protected async correct(settlement: Settlement): Promise<void> {
    const { tenant } = settlement.reservation;
    const refund = refundOf(settlement);
    if (settlement.tokenDelta <= 0 && settlement.costDelta <= 0) {
      this.refunds.add(tenant, refund);
      this.refundTimer ??= setTimeout(() => {
        this.refundTimer = undefined;
        this.sendRefunds().catch(this.reportError);
      }, REFUND_DELAY_MS).unref();
      return;
    }
    await this.firstConnection();
    await this.charges.apply(tenant, HeldCharges.charge(refund));
  }

  private readonly sendCharge: SendCharge = async (tenant, charge) => {
    const { keys, args } = refundArguments([charge]);
    await this.redis.cellportCharge(
      keys.length + 1,
      `cellport:{${tenant}}:charge:${charge.id}`,
      ...keys,
      CHARGE_ID_TTL_MS,
      ...args,
    );
  };

  private readonly charges = new HeldCharges(
    this.sendCharge,
    CHARGE_RETRY_MS,
    error => this.reportError(error),
    // Sent again only while Redis still remembers the id (a minute to spare for the send).
    CHARGE_ID_TTL_MS - 60_000,
  );

  /** Sends every held-back refund, one command per tenant. */
  private async sendRefunds(): Promise<void> {
    clearTimeout(this.refundTimer);
    this.refundTimer = undefined;
    const pending = this.refunds.takeAll();
    if (pending.length === 0) return;
    await this.firstConnection();
    await Promise.all(
      pending.map(({ refunds }) => {
        const { keys, args } = refundArguments(refunds);
        return this.redis.cellportCorrect(keys.length, ...keys, ...args);
      }),
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
    const key = tenantBudgetKey(tenant, monthOf(nowMs));
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
