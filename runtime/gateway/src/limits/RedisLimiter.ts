import Redis from 'ioredis';
import { once } from 'node:events';
import { tenantBudgetKey, monthOf, NANO, reservationKey } from './Limiter';
import { Refund, RefundQueue } from './RefundQueue';
import { claimArguments, settleArguments } from './CounterArguments';
import { CHARGE_SCRIPT, CLAIM_SCRIPT, CORRECT_SCRIPT } from './counterScripts';
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
 * A settlement as the scripts settle it (counterScripts.ts): every counter of the reservation,
 * even one whose delta is 0, since a Redis that lost the reservation is charged each counter's
 * actual amount.
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

/**
 * Gives back whatever a claim took, if it landed: its reservation still open means it did, and
 * the deltas undo it; if it never ran, the actual amounts (0) add nothing. Either way it can
 * be sent again without counting twice.
 */
function releaseOf(
  tenant: string,
  reservation: string,
  claims: CounterClaim[],
): Refund {
  return {
    reservation: reservationKey(tenant, reservation),
    keys: claims.map(claim => claim.key),
    deltas: claims.map(claim => -claim.amount),
    actuals: claims.map(() => 0),
  };
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

/** How often a charge, or a release, that failed to reach Redis is sent again. */
const CHARGE_RETRY_MS = 500;

/**
 * Refunds held for Redis at most (a release per request claimed while Redis stalled, a refund
 * per request settled while it was out of reach); past this many the oldest wait and the
 * newest are dropped (and reported).
 */
const MAX_HELD_REFUNDS = 100_000;

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
 * requests. A claim written but never answered may have landed after all (Redis stalled past
 * the timeout, then ran it): it is released, and the release sent again until Redis takes it,
 * so a refused request holds none of its tenant's budget. Refunds held back (`RefundQueue`)
 * that a failed command carried are held again when Redis was not connected (the command was
 * never written); after a command written without an answer, only releases are, as a second
 * copy of another refund could count its actual amounts twice: their counters stay higher
 * than spent, which refuses sooner, never later. A charge beyond a
 * reservation whose command failed is held (`HeldCharges`) and lands, once, before its
 * tenant's next claim, so no request is admitted on a budget that forgot it.
 */
export class RedisLimiter extends WindowedLimiter {
  private readonly redis: ScriptedRedis;

  private lastErrorAt = 0;
  /** The first connection came, or the wait for it ran out: nobody waits for it again. */
  private firstWaitOver = false;
  /** The one wait for the first connection, shared by the requests that came before it. */
  private firstWait?: Promise<void>;
  /** The connection a drop is closing: the commands that time out together drop it once. */
  private dropping?: Redis['stream'];
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
            // command was most of Redis mode's CPU (bench/gateway). Claims are gathered over
            // turns by `ClaimBatches` instead, which saves auto-pipelining's objects too.
            enableAutoPipelining: true,
            autoPipeliningIgnoredCommands: ['cellportClaim'],
          })
        : redisOrUrl;
    redis.on('ready', () => {
      this.firstWaitOver = true;
    });
    this.reportError = (error: Error) => {
      const now = Date.now();
      if (now - this.lastErrorAt >= 30_000) {
        this.lastErrorAt = now;
        onError(error);
      }
    };
    redis.on('error', this.reportError);
    // No fixed number of keys (a request claims three counters, six an agent's): count first.
    redis.defineCommand('cellportClaim', { lua: CLAIM_SCRIPT });
    redis.defineCommand('cellportCorrect', { lua: CORRECT_SCRIPT });
    redis.defineCommand('cellportCharge', { lua: CHARGE_SCRIPT });
    this.redis = redis as ScriptedRedis;
  }

  private readonly reportError: (error: Error) => void;

  /**
   * A command that timed out on a connection still up drops the connection, and the client
   * makes another: ioredis keeps it in place, and one the network stranded (a failover, a lost
   * NAT entry) would be kept until TCP gives up, a quarter of an hour of 503s with Redis
   * reachable all along. The commands still waiting on it fail, as they would have timed out.
   */
  private readonly rethrowDroppingIfHung = (error: unknown): never => {
    this.dropIfHung(error);
    throw error;
  };

  private readonly dropIfHung = (error: unknown): void => {
    if (
      error instanceof Error &&
      error.message === 'Command timed out' &&
      this.redis.status === 'ready' &&
      // The commands that time out together drop their connection once: each drop adds a
      // listener to the socket until it closes.
      this.dropping !== this.redis.stream
    ) {
      this.dropping = this.redis.stream;
      this.redis.disconnect(true);
    }
  };

  /**
   * Waits (bounded) for the first connection; afterwards returns at once, connected or not.
   * One wait for every caller, once: a Redis that hung before the gateway started made each
   * request wait its own second, for as long as it hung.
   */
  private firstConnection(): Promise<void> | undefined {
    if (this.firstWaitOver || this.redis.status === 'ready') return undefined;
    this.firstWait ??= once(this.redis, 'ready', {
      signal: AbortSignal.timeout(REDIS_COMMAND_TIMEOUT_MS),
    })
      .catch(() => undefined)
      .then(() => {
        this.firstWaitOver = true;
      });
    return this.firstWait;
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
    const carried = groups.map(group => this.refunds.take(group.tenant));
    const commands = groups.map((group, g) =>
      this.claimArguments(group, carried[g]),
    );
    // Not ready, ioredis refuses a command without writing it: it cannot have landed.
    const written = this.redis.status === 'ready';
    const unanswered = (g: number) => {
      this.holdAgain(groups[g].tenant, carried[g], written);
      if (written) this.releaseClaims(groups[g]);
    };
    if (commands.length === 1) {
      try {
        return [readOutcomes(await this.redis.cellportClaim(...commands[0]))];
      } catch (error) {
        unanswered(0);
        this.dropIfHung(error);
        throw error;
      }
    }
    const pipeline = this.redis.pipeline() as ReturnType<Redis['pipeline']> & {
      cellportClaim(...args: Array<string | number>): unknown;
    };
    for (const args of commands) pipeline.cellportClaim(...args);
    let results;
    try {
      results = (await pipeline.exec()) ?? [];
    } catch (error) {
      groups.forEach((_, g) => unanswered(g));
      this.dropIfHung(error);
      throw error;
    }
    return groups.map((_, g) => {
      const [error, reply] = results[g] ?? [new Error('no reply')];
      if (error) {
        unanswered(g);
        this.dropIfHung(error);
      }
      return error ?? readOutcomes(reply as number[]);
    });
  }

  /**
   * Claims sent without an answer (Redis stalled past the command timeout, or the connection
   * dropped) may still land: each is released, once Redis answers again, or its tenant would
   * be charged its maximum cost for a request that was refused, for the rest of the month.
   */
  private releaseClaims({ tenant, requests, reservations }: TenantClaims) {
    requests.forEach((claims, i) =>
      this.refunds.add(tenant, releaseOf(tenant, reservations[i], claims)),
    );
    this.retryRefunds();
  }

  /**
   * Holds again the refunds of a failed command that may be sent again: all of them when it
   * was never written (Redis not connected), else only those whose actual amounts are 0 (a
   * second copy adds nothing once the first closed the reservation); the others are dropped,
   * as the class comment says. At most MAX_HELD_REFUNDS wait.
   */
  private holdAgain(tenant: string, refunds: Refund[], written: boolean) {
    let dropped = 0;
    for (const refund of refunds) {
      if (written && !refund.actuals.every(actual => actual === 0)) continue;
      if (this.refunds.size >= MAX_HELD_REFUNDS) dropped += 1;
      else this.refunds.add(tenant, refund);
    }
    if (dropped > 0) {
      this.reportError(
        new Error(
          `${dropped} refunds dropped: ${MAX_HELD_REFUNDS} already wait for Redis`,
        ),
      );
    }
    this.retryRefunds();
  }

  /** Sends held refunds in CHARGE_RETRY_MS unless a claim or a sooner send takes them. */
  private retryRefunds(): void {
    if (this.refunds.size === 0 || this.refundTimer) return;
    this.refundTimer = setTimeout(() => {
      this.refundTimer = undefined;
      this.sendRefunds().catch(this.reportError);
    }, CHARGE_RETRY_MS).unref();
  }

  private readonly batches = new ClaimBatches(this.sendClaims);

  /** CLAIM_SCRIPT's keys and arguments for one tenant's requests and its held refunds. */
  private claimArguments(
    { tenant, requests, reservations }: TenantClaims,
    refunds: Refund[],
  ) {
    return claimArguments(
      requests,
      reservations.map(id => reservationKey(tenant, id)),
      refunds,
      // A reservation stays open as long as the budget it holds: a request that outlives its
      // minute windows still settles into its month.
      MONTH_TTL_MS,
    );
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
    const { keys, args } = settleArguments([charge]);
    await this.redis
      .cellportCharge(
        keys.length + 1,
        `cellport:{${tenant}}:charge:${charge.id}`,
        ...keys,
        CHARGE_ID_TTL_MS,
        ...args,
      )
      .catch(this.rethrowDroppingIfHung);
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
    const written = this.redis.status === 'ready';
    const sent = await Promise.allSettled(
      pending.map(({ refunds }) => {
        const { keys, args } = settleArguments(refunds);
        return this.redis.cellportCorrect(keys.length, ...keys, ...args);
      }),
    );
    let failure: unknown;
    sent.forEach((result, t) => {
      if (result.status === 'fulfilled') return;
      failure ??= result.reason;
      this.dropIfHung(result.reason);
      this.holdAgain(pending[t].tenant, pending[t].refunds, written);
    });
    if (failure !== undefined) throw failure;
  }

  protected async read(keys: string[]): Promise<number[]> {
    // What this replica gave back, or still owes, is part of what it reads.
    await this.sendRefunds();
    await this.firstConnection();
    if (!this.charges.empty) await this.charges.landAll();
    const values = await this.redis
      .mget(...keys)
      .catch(this.rethrowDroppingIfHung);
    return values.map(value => Number(value ?? 0));
  }

  /** What the tenant has spent (settled plus reserved) this month, in US dollars. */
  async spentUsd(tenant: string, nowMs: number): Promise<number> {
    const key = tenantBudgetKey(tenant, monthOf(nowMs));
    await this.sendRefunds();
    await this.firstConnection();
    if (!this.charges.empty) await this.charges.land(tenant);
    const spent = await this.redis.get(key).catch(this.rethrowDroppingIfHung);
    return Number(spent ?? 0) / NANO;
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
