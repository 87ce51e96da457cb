import Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { limitKeys, monthOf, NANO } from './Limiter';
import { RefundQueue } from './RefundQueue';
import { ClaimBatches, SendClaims, TenantClaims } from './ClaimBatches';
import {
  Charge,
  chargeOf,
  Correction,
  HeldCorrections,
  SendCorrection,
} from './HeldCorrections';
import {
  CounterRedis,
  readOutcomes,
  withCounterScripts,
} from './counterScripts';
import { ClaimOutcome, CounterClaim, WindowedLimiter } from './WindowedLimiter';

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

/** How often a correction that failed to reach Redis is sent again. */
const CORRECTION_RETRY_MS = 500;

/**
 * Revokes held at most: beyond them, a claim left unanswered stays counted (refusing sooner,
 * never later), so that a long hang under load cannot grow the replica's memory.
 */
const MAX_HELD_REVOKES = 10_000;

/**
 * How long Redis remembers a charge's id. A second copy comes at most a retry after the first
 * landed (its reply lost), so minutes are plenty; a key per overcharge kept for a day would
 * grow with an upstream that always ignores `max_tokens`.
 */
const CHARGE_ID_TTL_MS = 10 * 60 * 1000;

/** CLAIM_SCRIPT's arguments: the number of keys, the keys (the receipt first), ARGV. */
type ClaimArguments = Array<string | number>;

/** The revoke of a claim that was written but never answered: the claim's own arguments. */
interface Revoke extends Correction {
  claim: ClaimArguments;
}

function toError(reason: unknown): Error {
  return reason instanceof Error ? reason : new Error(String(reason));
}

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
 * reservation whose command failed is held (`HeldCorrections`) and lands, once, before its
 * tenant's next claim, so no request is admitted on a budget that forgot it. A claim written
 * to Redis whose answer never came (a timeout, a connection lost) may still have been
 * counted, though its requests were refused: it is revoked the same way, its receipt in Redis
 * telling which of its requests were admitted; if its answer stays lost longer than the
 * receipt lives (`CLAIM_RECEIPT_TTL_MS`), what it admitted stays counted.
 */
export class RedisLimiter extends WindowedLimiter {
  private readonly redis: CounterRedis;
  /** Names this replica's claim receipts; each claim adds a sequence number. */
  private readonly receiptPrefix = randomBytes(6).toString('hex');
  private claimSeq = 0;

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
    this.redis = withCounterScripts(redis);
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
    if (!this.corrections.empty) return this.afterHeldCorrections(groups);
    return this.sendGroups(groups);
  };

  /**
   * A tenant's held corrections land before its claims: a claim could pass a limit a held
   * charge had used up, or be refused for a revoked claim; a tenant whose corrections cannot
   * land is refused (fail closed), the others not.
   */
  private async afterHeldCorrections(
    groups: TenantClaims[],
  ): Promise<Array<ClaimOutcome[] | Error>> {
    const landed = await Promise.allSettled(
      groups.map(group => this.corrections.land(group.tenant)),
    );
    const ready = groups.filter((_, g) => landed[g].status === 'fulfilled');
    const sent = ready.length > 0 ? await this.sendGroups(ready) : [];
    let next = 0;
    return landed.map(result =>
      result.status === 'fulfilled' ? sent[next++] : toError(result.reason),
    );
  }

  /** Sends the groups' claims; a claim that was written but not answered is revoked. */
  private async sendGroups(
    groups: TenantClaims[],
  ): Promise<Array<ClaimOutcome[] | Error>> {
    // Without an offline queue a command is written only while the client is ready: one
    // refused before that never reached Redis and needs no revoke.
    const written = this.redis.status === 'ready';
    const commands = groups.map(group => this.claimArguments(group));
    const results = await this.runClaims(commands);
    if (written) {
      results.forEach((result, g) => {
        if (result instanceof Error) this.revoke(groups[g].tenant, commands[g]);
      });
    }
    return results;
  }

  private async runClaims(
    commands: ClaimArguments[],
  ): Promise<Array<ClaimOutcome[] | Error>> {
    try {
      if (commands.length === 1) {
        return [readOutcomes(await this.redis.cellportClaim(...commands[0]))];
      }
      const pipeline = this.redis.pipeline() as ReturnType<
        Redis['pipeline']
      > & {
        cellportClaim(...args: ClaimArguments): unknown;
      };
      for (const args of commands) pipeline.cellportClaim(...args);
      const results = (await pipeline.exec()) ?? [];
      return commands.map((_, g) => {
        const [error, reply] = results[g] ?? [new Error('no reply')];
        return error ?? readOutcomes(reply as number[]);
      });
    } catch (error) {
      return commands.map(() => toError(error));
    }
  }

  /** Takes back, once it can reach Redis, whatever a claim without an answer admitted. */
  private revoke(tenant: string, claim: ClaimArguments): void {
    if (this.corrections.heldCount >= MAX_HELD_REVOKES) return;
    this.corrections
      .apply(tenant, { id: String(claim[1]), claim })
      .catch(() => undefined);
  }

  private readonly batches = new ClaimBatches(this.sendClaims);

  /**
   * The claim script's keys and arguments for one tenant's requests and its held refunds; the
   * first key is the claim's receipt.
   */
  private claimArguments({ tenant, requests }: TenantClaims): ClaimArguments {
    const refunds = this.refunds.take(tenant);
    const keys: string[] = [
      `cellport:{${tenant}}:claim:${this.receiptPrefix}:${this.claimSeq++}`,
    ];
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
    await this.corrections.apply(tenant, chargeOf(keys, deltas));
  }

  private readonly sendCorrection: SendCorrection<Charge | Revoke> = async (
    tenant,
    correction,
  ) => {
    if ('claim' in correction) {
      await this.redis.cellportRevoke(...correction.claim);
      return;
    }
    await this.redis.cellportCharge(
      correction.keys.length + 1,
      `cellport:{${tenant}}:charge:${correction.id}`,
      ...correction.keys,
      CHARGE_ID_TTL_MS,
      ...correction.deltas,
    );
  };

  private readonly corrections = new HeldCorrections<Charge | Revoke>(
    this.sendCorrection,
    CORRECTION_RETRY_MS,
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
    if (!this.corrections.empty) await this.corrections.landAll();
    const values = await this.redis.mget(...keys);
    return values.map(value => Number(value ?? 0));
  }

  /** What the tenant has spent (settled plus reserved) this month, in US dollars. */
  async spentUsd(tenant: string, nowMs: number): Promise<number> {
    const key = limitKeys(tenant, undefined, 0, monthOf(nowMs)).tenantBudget;
    await this.sendRefunds();
    await this.firstConnection();
    if (!this.corrections.empty) await this.corrections.land(tenant);
    return Number((await this.redis.get(key)) ?? 0) / NANO;
  }

  async close(): Promise<void> {
    const unsent = await this.corrections.close();
    if (unsent > 0) {
      this.reportError(
        new Error(
          `${unsent} corrections (charges beyond their reservations, revokes of unanswered claims) could not reach Redis before closing`,
        ),
      );
    }
    await this.sendRefunds().catch(this.reportError);
    await this.redis.quit().catch(() => undefined);
  }
}
