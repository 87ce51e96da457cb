import type Redis from 'ioredis';
import type { ClaimOutcome } from './WindowedLimiter';

/**
 * How long Redis remembers which of a claim script's requests it admitted: the time a
 * replica has to revoke a claim whose answer it never got. Past it, such a claim stays
 * counted (refusing sooner, never later). Every claim writes one such key, so it is short.
 */
export const CLAIM_RECEIPT_TTL_MS = 60_000;

/**
 * How long a revoke keeps a claim it overtook from counting: far longer than a command can
 * wait in a socket buffer. Revokes are rare (one per claim left unanswered).
 */
const REVOKED_TTL_MS = 10 * 60_000;

/**
 * A tenant's held-back refunds, then each of its requests of one tick in arrival order:
 * `claimFits` and check-and-add, in one script, so replicas sharing the Redis cannot both pass
 * a check that only one of them fits. KEYS[1] is the claim's receipt; then the counters the
 * requests claim, request after request, then the refunded ones. ARGV[1] is the number m of
 * requests and ARGV[2..m+1] the number of counters each claims. After the counts, ARGV holds
 * four values per claimed counter (amount, limit, TTL in ms, and 1 when the first claim of a
 * window always fits), then one delta per refunded counter, applied first and only to
 * counters that still exist, never below zero (as CORRECT_SCRIPT).
 *
 * The receipt records which requests were admitted, so that a replica whose command timed out
 * can take them back (REVOKE_SCRIPT); a receipt that already exists means the claim was
 * revoked before it arrived, and it changes nothing. Replies, per request: the failed
 * counter's 1-based index (0 when every amount was added), how many counters were checked,
 * and each checked counter's value before the request; nothing when revoked.
 */
const CLAIM_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 1 then
  return {}
end
local m = tonumber(ARGV[1])
local claimed = 0
for r = 1, m do
  claimed = claimed + tonumber(ARGV[1 + r])
end
local deltas = 1 + m + 4 * claimed
for i = claimed + 2, #KEYS do
  if redis.call('EXISTS', KEYS[i]) == 1
    and redis.call('INCRBY', KEYS[i], ARGV[deltas + i - claimed - 1]) < 0 then
    redis.call('SET', KEYS[i], 0, 'KEEPTTL')
  end
end
local reply = {}
local admitted = {}
local key = 1
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
  admitted[r] = failed == 0 and '1' or '0'
  reply[#reply + 1] = failed
  reply[#reply + 1] = #before
  for i = 1, #before do
    reply[#reply + 1] = before[i]
  end
  key = key + n
  arg = arg + 4 * n
end
redis.call('SET', KEYS[1], table.concat(admitted), 'PX', ${CLAIM_RECEIPT_TTL_MS})
return reply
`;

/**
 * Takes back a claim whose answer the replica never got (its requests were refused), given
 * the claim's own KEYS and ARGV: the amounts of the requests its receipt says were admitted
 * come off their counters (those that still exist, never below zero). The receipt then says
 * `revoked`, so a second revoke does nothing, and a claim that arrives after its revoke
 * changes nothing (CLAIM_SCRIPT). The refunds the claim carried are not sent again: whether
 * they landed cannot be told from a receipt that expired. Replies 1 when it took a claim
 * back, 0 otherwise.
 */
const REVOKE_SCRIPT = `
local receipt = redis.call('GET', KEYS[1])
redis.call('SET', KEYS[1], 'revoked', 'PX', ${REVOKED_TTL_MS})
if not receipt or receipt == 'revoked' then
  return 0
end
local m = tonumber(ARGV[1])
local key = 1
local arg = 1 + m
for r = 1, m do
  local n = tonumber(ARGV[1 + r])
  if string.sub(receipt, r, r) == '1' then
    for i = 1, n do
      local counter = KEYS[key + i]
      if redis.call('EXISTS', counter) == 1
        and redis.call('DECRBY', counter, ARGV[arg + (i - 1) * 4 + 1]) < 0 then
        redis.call('SET', counter, 0, 'KEEPTTL')
      end
    end
  end
  key = key + n
  arg = arg + 4 * n
end
return 1
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

/** A Redis client that has the counter scripts as commands. */
export type CounterRedis = Redis & {
  cellportClaim(...args: Array<string | number>): Promise<number[]>;
  cellportRevoke(...args: Array<string | number>): Promise<number>;
  cellportCorrect(...args: Array<string | number>): Promise<number>;
  cellportCharge(...args: Array<string | number>): Promise<number>;
};

/** Defines the scripts on a client; none has a fixed number of keys, the count goes first. */
export function withCounterScripts(redis: Redis): CounterRedis {
  redis.defineCommand('cellportClaim', { lua: CLAIM_SCRIPT });
  redis.defineCommand('cellportRevoke', { lua: REVOKE_SCRIPT });
  redis.defineCommand('cellportCorrect', { lua: CORRECT_SCRIPT });
  redis.defineCommand('cellportCharge', { lua: CHARGE_SCRIPT });
  return redis as CounterRedis;
}

/** CLAIM_SCRIPT's reply, request by request (none when the claim had been revoked). */
export function readOutcomes(reply: number[]): ClaimOutcome[] {
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
