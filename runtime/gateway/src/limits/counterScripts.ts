/**
 * The Lua scripts that keep the shared counters, and the layout of their KEYS and ARGV
 * (`CounterArguments` builds them). A script names each counter key once, however many of its
 * requests and refunds touch it, and carries each request's or refund's amounts as one
 * argument: a string of space-separated integers, each amount beside its counter's 1-based
 * index. Amounts are integers (token counts, nano-dollars); one that is not fails INCRBY and
 * the script, as a number argument did.
 */

/**
 * Settles `r` reservations: reservation j's key is KEYS[reservationAt + j] and its amounts
 * ARGV[refundAt + j], triples of counter index (KEYS[counterAt + index]), delta and actual
 * amount. A reservation still open (deleting it closes it) adds its deltas; one Redis no
 * longer holds (restored from a snapshot older than the reservation: the counters never held
 * it, and refunding it would give back budget that was spent) adds its actual amounts. Only
 * counters that still exist are touched (an expired window has nothing to correct), never
 * below zero (a negative counter is budget never granted).
 */
const SETTLE = `
local function settle(counterAt, reservationAt, refundAt, r)
  for j = 1, r do
    local open = redis.call('DEL', KEYS[reservationAt + j]) == 1
    for i, delta, actual in string.gmatch(ARGV[refundAt + j], '(%S+) (%S+) (%S+)') do
      local key = KEYS[counterAt + tonumber(i)]
      local amount = open and delta or actual
      if amount ~= '0' and redis.call('EXISTS', key) == 1
        and redis.call('INCRBY', key, amount) < 0 then
        redis.call('SET', key, 0, 'KEEPTTL')
      end
    end
  end
end
`;

/**
 * A tenant's held-back refunds (SETTLE), then each of its requests of one tick in arrival
 * order: `claimFits` and check-and-add, in one script, so replicas sharing the Redis cannot
 * both pass a check that only one of them fits; a request that fits holds its reservation
 * open for ARGV[5] ms.
 *
 * KEYS: the u counters, then the m requests' reservation keys, then the r refunds'.
 * ARGV: u, c (how many counters requests claim: the first c), m, r, ARGV[5], then per claimed
 * counter its limit, TTL in ms and 1 when the first claim of a window always fits, then each
 * request's claims (pairs of counter index and amount, in the order they are checked), then
 * each refund's (SETTLE).
 *
 * Replies, per request: the failed claim's 1-based position (0 when every amount was added),
 * how many claims were checked, and each checked counter's value before the request.
 */
export const CLAIM_SCRIPT = `${SETTLE}
local u, c, m, r = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local rules = 5
local requests = rules + 3 * c
settle(0, u + m, requests + m, r)
local reply = {}
for q = 1, m do
  local claimed, amounts, before = {}, {}, {}
  local failed = 0
  for i, amount in string.gmatch(ARGV[requests + q], '(%S+) (%S+)') do
    i = tonumber(i)
    local rule = rules + 3 * (i - 1)
    local current = tonumber(redis.call('GET', KEYS[i]) or '0')
    before[#before + 1] = current
    if current + tonumber(amount) > tonumber(ARGV[rule + 1])
      and not (ARGV[rule + 3] == '1' and current <= 0) then
      failed = #before
      break
    end
    claimed[#claimed + 1] = i
    amounts[#amounts + 1] = amount
  end
  if failed == 0 then
    for j = 1, #claimed do
      local i = claimed[j]
      redis.call('INCRBY', KEYS[i], amounts[j])
      redis.call('PEXPIRE', KEYS[i], ARGV[rules + 3 * (i - 1) + 2])
    end
    redis.call('SET', KEYS[u + q], 1, 'PX', ARGV[5])
  end
  reply[#reply + 1] = failed
  reply[#reply + 1] = #before
  for j = 1, #before do
    reply[#reply + 1] = before[j]
  end
end
return reply
`;

/**
 * A charge beyond a reservation, once per id: KEYS[1] remembers the id for ARGV[1] ms; the
 * rest is one settlement laid out as for CORRECT_SCRIPT, from KEYS[2] and ARGV[2] on.
 */
export const CHARGE_SCRIPT = `${SETTLE}
if not redis.call('SET', KEYS[1], '1', 'NX', 'PX', ARGV[1]) then
  return 0
end
settle(1, 1 + tonumber(ARGV[2]), 3, tonumber(ARGV[3]))
return 1
`;

/**
 * Settles refunds held back, on their own. KEYS: the u counters, then the r reservations'
 * keys. ARGV: u, r, then each refund's amounts (SETTLE).
 */
export const CORRECT_SCRIPT = `${SETTLE}
settle(0, tonumber(ARGV[1]), 2, tonumber(ARGV[2]))
return 0
`;
