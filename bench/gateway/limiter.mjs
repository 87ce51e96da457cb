// Limiter micro-benchmark: the gateway CPU a request's reserve and settle cost with counters
// in Redis, against the in-process counters measured in the same run, and the bytes a request
// sends Redis. Requests in flight decide how many share a claim command (one turn of the event
// loop, one command): 1 in flight is a command each, 16 share one.
//
//   node bench/gateway/limiter.mjs    (from the repository root, with Node 22)
//
// Knobs (env): BENCH_LIMITER_REQUESTS (per round, default 20000), BENCH_REDIS_URL (default
// redis://127.0.0.1:6379/14, the main benchmark's database; its keys are left to expire).
// Bytes come from Redis's server-wide `total_net_input_bytes`: another client of the same
// server during the run adds to them.
import { createRequire } from 'node:module';
import Redis from 'ioredis';

const require = createRequire(import.meta.url);
require('@backstage/cli-node/config/nodeTransform.cjs');
const {
  InMemoryLimiter,
} = require('../../runtime/gateway/src/limits/InMemoryLimiter.ts');
const {
  RedisLimiter,
} = require('../../runtime/gateway/src/limits/RedisLimiter.ts');

const REQUESTS = Number(process.env.BENCH_LIMITER_REQUESTS ?? 20000);
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/14';
const ROUNDS = 5;

const limitRequest = () => ({
  tenant: 'bench-limiter',
  limits: { requestsPerMinute: 1e9, tokensPerMinute: 1e12 },
  tenantBudgetUsd: 1e6,
  tokens: 120,
  costUsd: 0.0001,
  nowMs: Date.now(),
});

/** Gateway CPU µs a request: reserve, a turn of other work, settle; `inFlight` at a time. */
async function cpuPerRequest(limiter, inFlight) {
  let started = 0;
  const worker = async () => {
    while (started < REQUESTS) {
      started += 1;
      const verdict = await limiter.reserve(limitRequest());
      if (!verdict.ok) throw new Error(`refused: ${verdict.reason}`);
      await new Promise(resolve => setImmediate(resolve));
      await limiter.settle(verdict.reservation, { tokens: 60, costUsd: 5e-5 });
    }
  };
  const before = process.cpuUsage();
  await Promise.all(Array.from({ length: inFlight }, worker));
  const used = process.cpuUsage(before);
  return (used.user + used.system) / REQUESTS;
}

async function redisInputBytes(redis) {
  const stats = await redis.info('stats');
  return Number(/total_net_input_bytes:(\d+)/.exec(stats)[1]);
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function main() {
  const stats = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  const redis = new RedisLimiter(REDIS_URL);
  const memory = new InMemoryLimiter();
  const cases = [
    ['in-process', memory, 16],
    ['Redis, 1 in flight', redis, 1],
    ['Redis, 16 in flight', redis, 16],
  ];
  try {
    for (const [, limiter, inFlight] of cases) {
      await cpuPerRequest(limiter, inFlight); // warm-up
    }
    const micros = cases.map(() => []);
    const bytes = cases.map(() => []);
    for (let round = 0; round < ROUNDS; round++) {
      for (const [index, [, limiter, inFlight]] of cases.entries()) {
        const sent = await redisInputBytes(stats);
        micros[index].push(await cpuPerRequest(limiter, inFlight));
        bytes[index].push((await redisInputBytes(stats)) - sent);
      }
    }
    console.log(
      `limiter: reserve + settle, ${REQUESTS} requests a round, median of ${ROUNDS} alternating rounds`,
    );
    const base = micros[0];
    for (const [index, [name]] of cases.entries()) {
      const ratio = median(micros[index].map((us, round) => us / base[round]));
      console.log(
        `  ${name.padEnd(20)} ${median(micros[index])
          .toFixed(1)
          .padStart(6)} µs CPU a request` +
          `  ${ratio.toFixed(2).padStart(6)}x in-process` +
          `  ${Math.round(median(bytes[index]) / REQUESTS)
            .toString()
            .padStart(5)} bytes to Redis a request`,
      );
    }
  } finally {
    await Promise.all([redis.close(), memory.close()]);
    stats.disconnect();
  }
}

main().catch(error => {
  console.error(error);
  process.exit(1);
});
