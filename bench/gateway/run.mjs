// Gateway benchmark: one command, same run, loopback only.
//
//   node bench/gateway/run.mjs            (from the repository root, with Node 22)
//
// It starts the simulator (instant answers), a minimal undici pass-through proxy (the floor the
// targets were set against), the same proxy relaying with Readable.pipe (leaner still)
// and the gateway with its full pipeline (auth, limits, routing, events spooled to disk and
// delivered) in four modes: in-process (in-process counters, events over HTTP to a stand-in
// portal), the same with events off, Redis counters with HTTP events, and production (counters
// in the machine's Redis, events to the machine's NATS JetStream). It drives each with the same requests and prints
// requests/s, CPU ms per request of the serving process, added latency over the simulator
// (p50/p99 at one connection, streaming time to first byte), the ratios against the targets and
// whether every event arrived. Finally two micro-benchmarks: the spool write each request pays
// before its response ends, and the router's decision time with 100 profiles and 1,000 tenants.
//
// Knobs (env): BENCH_REQUESTS (per phase, default 10000), BENCH_CONCURRENCY (default 16),
// BENCH_STREAM_REQUESTS (default 600), BENCH_REDIS_URL (default redis://127.0.0.1:6379/14, a
// database of its own: flushed at start), BENCH_NATS_URL (default 127.0.0.1:4222),
// BENCH_JSON=1 for machine-readable output, BENCH_APIS=1 to compare the CPU per request of
// chat, the Responses API and Anthropic Messages on one gateway instead (apis.mjs), or
// BENCH_APIS=separate on a gateway each.
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  appendFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import Redis from 'ioredis';
import { connect as connectNats } from 'nats';
import { Pool } from 'undici';
import { API_REQUESTS, reportApis } from './apis.mjs';
import { reportTracing, SPANS_PER_REQUEST } from './tracing.mjs';
import { runRouterBenchmark } from './router.mjs';
import { runSpoolBenchmark } from './spool.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const require = createRequire(import.meta.url);
const transform = require.resolve(
  '@backstage/cli-node/config/nodeTransform.cjs',
);

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 10000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const STREAM_REQUESTS = Number(process.env.BENCH_STREAM_REQUESTS ?? 600);
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/14';
const NATS_URL = process.env.BENCH_NATS_URL ?? '127.0.0.1:4222';
const WARMUP = 800;
/**
 * Requests each target takes at the loaded phase's concurrency before its rounds are measured:
 * the CPU a replica in service spends on a request, not what a fresh process spends while V8
 * still compiles. V8 went on optimizing the gateway's functions (about a thousand, against the
 * proxy's few hundred) for 15-18 s of load at 16 connections (`--trace-opt`), about 40,000
 * requests; measured after 2,000, the gateway's CPU over the proxy's read 1.5-1.6x, after
 * 20,000 1.2-1.4x. The warm-up's own CPU per request is printed beside (a fresh process).
 */
const LOADED_WARMUP = Number(process.env.BENCH_LOADED_WARMUP ?? 40000);
const API_KEY = 'cp-bench-key-0001';
/** The gateway's JetStream stream and subject prefix (src/events/NatsTransport.ts). */
const EVENTS_STREAM = 'CELLPORT_EVENTS';
/** Each run's production gateway serves its own cell, so its events have a subject of their own. */
const RUN_ID = randomBytes(4).toString('hex');
const NATS_CELL = `bench-${RUN_ID}`;
const NATS_SUBJECT = `cellport.events.${NATS_CELL}`;

/** Targets, in the order of the tables. `events`: where the events go, checked at the end. */
const DIRECT = 'simulator (direct)';
const PROXY = 'pass-through proxy';
const LEAN_PROXY = 'proxy, Readable.pipe';
const IN_PROCESS = 'gateway, in-process';
const EVENTS_OFF = 'gateway, events off';
const EVENTS_OFF_TWIN = 'gateway, events off (control)';
const SPOOL_ONLY = 'gateway, spool only';
const REDIS_HTTP = 'gateway, Redis + HTTP';
const PRODUCTION = 'gateway, Redis + NATS';

const TARGETS = {
  cpuOverProxy: 1.5,
  productionCpuOverInProcess: 1.2,
  eventsAddedP50Ms: 0.05,
  addedP99OverProxyMs: 1,
  addedTtfbOverProxyMs: 1,
  routerP99Us: 50,
};

const children = [];
process.on('exit', () => children.forEach(child => child.kill('SIGTERM')));

/** The port a started process reports: pino's `"url":"http://127.0.0.1:N"` or `{"listening":N}`. */
const PORT_PATTERN =
  /"url":"http:\/\/127\.0\.0\.1:(\d+)"|\{"listening":(\d+)\}/;

/** Starts a Node process and resolves with it and its port once it listens. */
function startProcess(name, args, env) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, args, {
      cwd: root,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let output = '';
    let started = false;
    const onData = data => {
      if (process.env.BENCH_LOG_DIR) {
        appendFileSync(
          join(process.env.BENCH_LOG_DIR, `${name.replace(/\W+/g, '-')}.log`),
          data,
        );
      }
      if (started) return;
      output += data;
      const match = PORT_PATTERN.exec(output);
      if (match && !started) {
        started = true;
        resolvePromise({
          child,
          url: `http://127.0.0.1:${match[1] ?? match[2]}`,
        });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', code => {
      if (!started)
        reject(
          new Error(`${name} exited with ${code}:\n${output.slice(-2000)}`),
        );
    });
  });
}

/**
 * CPU seconds a process has used: the run time of each of its threads (main, libuv pool, V8's)
 * from /proc/<pid>/task/<tid>/schedstat, in nanoseconds, rather than /proc/<pid>/stat's
 * 10 ms clock ticks, which are too coarse for a round of a thousand requests.
 */
function cpuSeconds(pid) {
  let ns = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(
        readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(
          ' ',
        )[0],
      );
    } catch {
      // The thread has just exited.
    }
  }
  return ns / 1e9;
}

/** The median of values, and their range. */
function spread(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return {
    median:
      sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2,
    min: sorted[0],
    max: sorted[sorted.length - 1],
  };
}

function percentile(sorted, q) {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

const sleep = ms => new Promise(done => setTimeout(done, ms));

/** Sends `count` requests over `connections` keep-alive connections; returns per-request timings in ms. */
async function drive(url, { count, connections, stream, name, api = 'chat' }) {
  const pool = new Pool(url, {
    connections,
    pipelining: 1,
    keepAliveTimeout: 30_000,
  });
  const { path, body: bodyOf } = API_REQUESTS[api];
  const body = bodyOf(stream);
  const latencies = [];
  const firstBytes = [];
  let failures = 0;
  let next = 0;
  const worker = async () => {
    while (next < count) {
      next += 1;
      const start = performance.now();
      const response = await pool.request({
        path,
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${API_KEY}`,
        },
        body,
      });
      let first = true;
      for await (const chunk of response.body) {
        if (first && chunk.length > 0) {
          first = false;
          firstBytes.push(performance.now() - start);
        }
      }
      latencies.push(performance.now() - start);
      if (response.statusCode !== 200) failures += 1;
    }
  };
  try {
    await Promise.all(Array.from({ length: connections }, worker));
  } catch (error) {
    await pool.destroy();
    // Which target broke a connection, when one does.
    throw new Error(`${name ?? url}: ${error.message}`, { cause: error });
  }
  await pool.close();
  return { latencies, firstBytes, failures, sent: count };
}

/** Phases run in rounds that alternate between targets, so that noise from other work on the
 * machine spreads over all of them instead of skewing one. */
const ROUNDS = 10;
/** Twenty: the CPU ratio's median over ten rounds moved by 0.2x between runs on a busy
 * two-core machine (1.29x, 1.53x), as two or three disturbed rounds of ten shift it. */
const LOADED_ROUNDS = 20;
/** After each loaded round, what the target still does for it (an event flush, every 100 ms)
 * is counted in its CPU, not its wall time. */
const SETTLE_MS = 250;

/** Target indices for a round, rotated by one each round, so no target always follows the
 * same one (what a target leaves running, such as an event flush, slows the next). */
function inRoundOrder(targets, round) {
  return targets.map((_, i) => (i + round) % targets.length);
}

async function measureAll(targets) {
  const sent = targets.map(() => 0);
  for (const [index, { url, name, api }] of targets.entries()) {
    await drive(url, {
      count: WARMUP,
      connections: 4,
      stream: false,
      name,
      api,
    });
    await drive(url, {
      count: WARMUP / 4,
      connections: 1,
      stream: true,
      name,
      api,
    });
    sent[index] += WARMUP + WARMUP / 4;
  }
  const serial = targets.map(() => ({
    latencies: [],
    roundP50Ms: [],
    failures: 0,
  }));
  const streamed = targets.map(() => ({ firstBytes: [], failures: 0 }));
  for (let round = 0; round < ROUNDS; round++) {
    process.stderr.write(`latency round ${round + 1}/${ROUNDS}\n`);
    for (const index of inRoundOrder(targets, round)) {
      const { url, name, api } = targets[index];
      const json = await drive(url, {
        count: REQUESTS / ROUNDS,
        connections: 1,
        stream: false,
        name,
        api,
      });
      serial[index].latencies.push(...json.latencies);
      serial[index].roundP50Ms.push(
        percentile(
          json.latencies.sort((a, b) => a - b),
          0.5,
        ),
      );
      serial[index].failures += json.failures;
      const sse = await drive(url, {
        count: STREAM_REQUESTS / ROUNDS,
        connections: 1,
        stream: true,
        name,
        api,
      });
      streamed[index].firstBytes.push(...sse.firstBytes);
      streamed[index].failures += sse.failures;
      sent[index] += json.sent + sse.sent;
    }
  }
  const loaded = targets.map(() => ({
    cpuMs: 0,
    wallMs: 0,
    roundCpuMs: [],
    roundWallMs: [],
    failures: 0,
    warmupCpuMs: 0,
  }));
  for (const [index, { url, pid, name, api }] of targets.entries()) {
    process.stderr.write(`loaded warm-up: ${name}\n`);
    const cpuBefore = cpuSeconds(pid);
    const run = await drive(url, {
      count: LOADED_WARMUP,
      connections: CONCURRENCY,
      stream: false,
      name,
      api,
    });
    await sleep(SETTLE_MS);
    loaded[index].warmupCpuMs = (cpuSeconds(pid) - cpuBefore) * 1000;
    loaded[index].failures += run.failures;
    sent[index] += run.sent;
  }
  for (let round = 0; round < LOADED_ROUNDS; round++) {
    process.stderr.write(
      `throughput and CPU round ${round + 1}/${LOADED_ROUNDS}\n`,
    );
    for (const index of inRoundOrder(targets, round)) {
      const { url, pid, name, api } = targets[index];
      const cpuBefore = cpuSeconds(pid);
      const wallStart = performance.now();
      const run = await drive(url, {
        count: REQUESTS / LOADED_ROUNDS,
        connections: CONCURRENCY,
        stream: false,
        name,
        api,
      });
      const wallMs = performance.now() - wallStart;
      await sleep(SETTLE_MS);
      const cpuMs = (cpuSeconds(pid) - cpuBefore) * 1000;
      loaded[index].wallMs += wallMs;
      loaded[index].cpuMs += cpuMs;
      loaded[index].roundWallMs.push(wallMs);
      loaded[index].roundCpuMs.push(cpuMs);
      loaded[index].failures += run.failures;
      sent[index] += run.sent;
    }
  }
  return targets.map(({ name, api }, index) => {
    const sortedSerial = serial[index].latencies.sort((a, b) => a - b);
    const sortedTtfb = streamed[index].firstBytes.sort((a, b) => a - b);
    return {
      name,
      api,
      sent: sent[index],
      failures:
        serial[index].failures +
        streamed[index].failures +
        loaded[index].failures,
      requestsPerSecond: (REQUESTS / loaded[index].wallMs) * 1000,
      cpuMsPerRequest: loaded[index].cpuMs / REQUESTS,
      warmupCpuMsPerRequest: loaded[index].warmupCpuMs / LOADED_WARMUP,
      p50Ms: percentile(sortedSerial, 0.5),
      p99Ms: percentile(sortedSerial, 0.99),
      ttfbP50Ms: percentile(sortedTtfb, 0.5),
      ttfbP99Ms: percentile(sortedTtfb, 0.99),
      // Per round, for paired comparisons: the targets ran back to back in each round.
      roundP50Ms: serial[index].roundP50Ms,
      roundCpuMs: loaded[index].roundCpuMs,
      roundWallMs: loaded[index].roundWallMs,
    };
  });
}

/**
 * What events add at p50 is a few hundredths of a millisecond, under the noise of rounds of a
 * thousand requests taken seconds apart (rounds of the main phase differ by ±0.1 ms). So the
 * targets it compares alternate in short rounds, many of them: drift on the machine then
 * reaches the targets of a round alike, and the median of many paired differences holds.
 */
const EVENT_COST_ROUNDS = 60;

async function measureEventCost(targets) {
  const perRound = Math.max(20, Math.round(REQUESTS / 100));
  const rows = targets.map(() => ({ roundP50Ms: [], sent: 0, failures: 0 }));
  for (let round = 0; round < EVENT_COST_ROUNDS; round++) {
    if (round % 10 === 0) {
      process.stderr.write(
        `event cost rounds ${round + 1}-${round + 10}/${EVENT_COST_ROUNDS}\n`,
      );
    }
    for (const index of inRoundOrder(targets, round)) {
      const { url, name } = targets[index];
      const run = await drive(url, {
        count: perRound,
        connections: 1,
        stream: false,
        name,
      });
      rows[index].roundP50Ms.push(
        percentile(
          run.latencies.sort((a, b) => a - b),
          0.5,
        ),
      );
      rows[index].sent += run.sent;
      rows[index].failures += run.failures;
    }
  }
  return { perRound, rows };
}

function benchState(simulatorUrl, cell) {
  return {
    schemaVersion: 1,
    version: 'bench-1',
    cell,
    tenants: [
      {
        id: 'bench-tenant',
        monthlyBudgetUsd: 1_000_000,
        limits: {
          requestsPerMinute: 10_000_000,
          tokensPerMinute: 1_000_000_000,
        },
        allowedModels: ['bench-primary', 'bench-secondary'],
        residencyRegions: ['eu-west-1'],
        classification: 'INTERNAL',
        promptCache: false,
      },
    ],
    apiKeys: [
      {
        sha256: createHash('sha256').update(API_KEY).digest('hex'),
        prefix: 'cp-bench',
        tenant: 'bench-tenant',
      },
    ],
    modelProfiles: ['bench-primary', 'bench-secondary'].map((id, i) => ({
      id,
      alias: 'bench-model',
      provider: 'simulator',
      upstreamModel: 'bench-upstream',
      endpoint: `${simulatorUrl}/v1`,
      region: 'eu-west-1',
      qualityTier: i === 0 ? 'frontier' : 'economy',
      contextLength: 128_000,
      maxOutputTokens: 4096,
      features: ['tools', 'json-mode'],
      inputPerMillionUsd: 2.5,
      outputPerMillionUsd: 10,
      maxClassification: 'CONFIDENTIAL',
    })),
    agents: [],
  };
}

/** Starts one gateway process; `key` names its spool, profile and log. */
async function startGateway(work, key, stateFile, env) {
  const profileDir = process.env.BENCH_PROFILE
    ? join(process.env.BENCH_PROFILE, key)
    : undefined;
  if (profileDir) mkdirSync(profileDir, { recursive: true });
  return startProcess(
    `gateway-${key}`,
    [
      // BENCH_PROFILE=<dir> writes a CPU profile of each gateway to <dir>/<mode> (read it in
      // Chrome DevTools).
      ...(process.env.BENCH_TRACE_GC ? ['--trace-gc'] : []),
      ...(process.env.BENCH_PERF ? ['--perf-basic-prof'] : []),
      ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []),
      '--require',
      transform,
      'runtime/gateway/src/index.ts',
    ],
    {
      GATEWAY_PORT: '0',
      GATEWAY_STATE_FILE: stateFile,
      GATEWAY_SPOOL_DIR: join(work, `spool-${key}`),
      GATEWAY_ID: `bench-gateway-${key}`,
      // Only what this mode sets: none of the machine's own gateway settings.
      GATEWAY_REDIS_URL: '',
      GATEWAY_NATS_URL: '',
      GATEWAY_EVENTS_URL: '',
      LOG_LEVEL: 'info',
      NODE_ENV: 'production',
      ...env,
    },
  );
}

/** The production gateway's counters live in a database of their own, emptied first. */
async function flushRedis() {
  const redis = new Redis(REDIS_URL, {
    maxRetriesPerRequest: 1,
    lazyConnect: true,
  });
  try {
    await redis.connect();
    await redis.flushdb();
  } catch (error) {
    throw new Error(
      `cannot reach the Redis at ${REDIS_URL} (BENCH_REDIS_URL): ${error.message}`,
    );
  } finally {
    redis.disconnect();
  }
}

/** Keys the production gateway left in its Redis database: proof that it counted there. */
async function redisKeyCount() {
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  try {
    return await redis.dbsize();
  } finally {
    redis.disconnect();
  }
}

/** A counter of the gateway's /metrics, summed over its labels. */
async function metric(url, name) {
  const text = await (await fetch(`${url}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name} `) || line.startsWith(`${name}{`)) {
      sum += Number(line.slice(line.lastIndexOf(' ') + 1));
    }
  }
  return sum;
}

/**
 * Waits until `read()` reaches `expected` or stops growing for `stallMs`, and returns the last
 * value. 35 s outlasts a failed attempt (a publish's 5 s or a POST's 10 s timeout) and the
 * backoffs of the first few failures after it; a sender still failing then is reported as
 * missing events.
 */
async function waitFor(read, expected, { stallMs = 35_000 } = {}) {
  let last = await read();
  let changedAt = performance.now();
  while (last < expected && performance.now() - changedAt < stallMs) {
    await sleep(100);
    const now = await read();
    if (now !== last) changedAt = performance.now();
    last = now;
  }
  return last;
}

/** Events in a spool directory's segments, sealed or open, not `dead/`. */
function countSpooledEvents(dir) {
  const ids = new Set();
  let received = 0;
  let segments = 0;
  for (const name of readdirSync(dir)) {
    if (!name.endsWith('.jsonl') && !name.endsWith('.open')) continue;
    segments += 1;
    for (const line of readFileSync(join(dir, name), 'utf8').split('\n')) {
      if (line.length === 0) continue;
      received += 1;
      ids.add(JSON.parse(line).id);
    }
  }
  return {
    where: `its spool (${segments} segments, delivery refused)`,
    received,
    delivered: ids.size,
  };
}

/**
 * Reads this run's subject in the stream: messages, events and distinct event ids; then
 * purges the subject, so runs leave nothing for a portal's consumer to find later.
 */
async function countNatsEvents() {
  const nc = await connectNats({ servers: NATS_URL.split(','), timeout: 5000 });
  try {
    const jsm = await nc.jetstreamManager();
    const info = await jsm.streams.info(EVENTS_STREAM, {
      subjects_filter: NATS_SUBJECT,
    });
    const messages = info.state.subjects?.[NATS_SUBJECT] ?? 0;
    const consumer = await nc
      .jetstream()
      .consumers.get(EVENTS_STREAM, { filterSubjects: NATS_SUBJECT });
    const ids = new Set();
    let events = 0;
    let read = 0;
    while (read < messages) {
      // A message holds up to 512 KiB of events (NatsTransport): 64 of them stay under the
      // client's 64 MiB of pending bytes, past which the server drops what it pushes (a
      // slow consumer) and the count comes out short.
      const batch = await consumer.fetch({
        max_messages: Math.min(64, messages - read),
        expires: 5000,
      });
      let got = 0;
      for await (const message of batch) {
        got += 1;
        for (const event of JSON.parse(message.string()).events) {
          events += 1;
          ids.add(event.id);
        }
      }
      read += got;
      if (got === 0) break;
    }
    await jsm.streams.purge(EVENTS_STREAM, { filter: NATS_SUBJECT });
    return { messages, events, distinct: ids.size };
  } finally {
    await nc.close();
  }
}

/**
 * BENCH_APIS=1: one gateway (in-process counters, events off, so that only the endpoints'
 * own work differs) driven through chat, the Responses API and Anthropic Messages in the
 * same rounds; each API's CPU per request over chat's.
 */
async function compareApis(work) {
  const simulator = await startProcess(
    'simulator',
    ['--require', transform, 'runtime/simulator/src/index.ts'],
    {
      SIMULATOR_PORT: '0',
      SIMULATOR_TTFT_MS: '0',
      SIMULATOR_TOKENS_PER_SECOND: '0',
      LOG_LEVEL: 'info',
    },
  );
  const stateFile = join(work, 'state-apis.json');
  writeFileSync(
    stateFile,
    JSON.stringify(benchState(simulator.url, 'bench-apis')),
  );
  // BENCH_APIS=separate: a gateway of its own for each API, so that none runs code another
  // API made polymorphic (the default, one gateway serving all three, is what production does).
  const separate = process.env.BENCH_APIS === 'separate';
  const gateways = {};
  for (const api of separate ? Object.keys(API_REQUESTS) : ['all']) {
    gateways[api] = await startGateway(work, `apis-${api}`, stateFile, {
      GATEWAY_EVENTS: 'off',
    });
  }
  const results = await measureAll(
    Object.keys(API_REQUESTS).map(api => {
      const gateway = gateways[separate ? api : 'all'];
      return {
        name: `gateway, ${api}`,
        api,
        url: gateway.url,
        pid: gateway.child.pid,
      };
    }),
  );
  children.forEach(child => child.kill('SIGTERM'));
  rmSync(work, { recursive: true, force: true });
  process.stdout.write(
    `Gateway APIs: ${REQUESTS} requests per phase and API, ${CONCURRENCY} connections under load, ${STREAM_REQUESTS} streams; ${
      separate ? 'a gateway per API' : 'one gateway'
    }, events off\n\n`,
  );
  return reportApis(results, spread);
}

/**
 * BENCH_TRACING=1: the pass-through proxy and two in-process gateways, tracing off and tracing
 * on (100% sampled, exported over OTLP/HTTP protobuf to a loopback collector stand-in), in the same
 * rounds; CPU per request of each over the proxy's (tracing.mjs).
 */
async function compareTracing(work) {
  const simulator = await startProcess(
    'simulator',
    ['--require', transform, 'runtime/simulator/src/index.ts'],
    {
      SIMULATOR_PORT: '0',
      SIMULATOR_TTFT_MS: '0',
      SIMULATOR_TOKENS_PER_SECOND: '0',
      LOG_LEVEL: 'info',
    },
  );
  const proxy = await startProcess(
    'pass-through proxy',
    [join(here, 'passthrough.mjs')],
    { UPSTREAM: simulator.url, PORT: '0' },
  );
  const portal = await startProcess(
    'portal stub',
    [join(here, 'portal-stub.mjs')],
    { PORT: '0' },
  );
  const collector = await startProcess(
    'otlp receiver',
    ['--require', transform, join(here, 'otlp-receiver.mjs')],
    { PORT: '0' },
  );
  const names = {
    proxy: PROXY,
    off: 'gateway, tracing off',
    on: 'gateway, tracing on (100%)',
  };
  const eventsEnv = {
    GATEWAY_EVENTS: 'http',
    GATEWAY_EVENTS_URL: portal.url,
    GATEWAY_EVENTS_TOKEN: 'bench',
  };
  const gateways = {};
  for (const [key, name, env] of [
    ['tracing-off', names.off, { OTEL_EXPORTER_OTLP_ENDPOINT: '' }],
    [
      'tracing-on',
      names.on,
      {
        OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
        OTEL_TRACES_SAMPLER_ARG: '1',
      },
    ],
  ]) {
    const stateFile = join(work, `state-${key}.json`);
    writeFileSync(
      stateFile,
      JSON.stringify(benchState(simulator.url, `bench-${key}`)),
    );
    gateways[name] = await startGateway(work, key, stateFile, {
      ...eventsEnv,
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: '',
      ...env,
    });
  }
  const results = await measureAll(
    [
      [names.proxy, proxy],
      [names.off, gateways[names.off]],
      [names.on, gateways[names.on]],
    ].map(([name, target]) => ({
      name,
      url: target.url,
      pid: target.child.pid,
    })),
  );
  // The batch processor exports every second: wait for the last spans.
  process.stderr.write('waiting for the last spans...\n');
  const sent = results.find(row => row.name === names.on).sent;
  const count = async () => (await fetch(`${collector.url}/count`)).json();
  await waitFor(async () => (await count()).spans, SPANS_PER_REQUEST * sent);
  const spans = await count();
  children.forEach(child => child.kill('SIGTERM'));
  rmSync(work, { recursive: true, force: true });
  process.stdout.write(
    `Gateway tracing: ${REQUESTS} requests per phase and target, ${CONCURRENCY} connections under load, ${STREAM_REQUESTS} streams; gateways with in-process counters and events over HTTP\n\n`,
  );
  return reportTracing(results, spread, names, spans);
}

async function main() {
  const work = mkdtempSync(join(tmpdir(), 'cellport-bench-'));
  if (process.env.BENCH_APIS === '1' || process.env.BENCH_APIS === 'separate') {
    process.exitCode = (await compareApis(work)) ? 0 : 1;
    return;
  }
  if (process.env.BENCH_TRACING === '1') {
    process.exitCode = (await compareTracing(work)) ? 0 : 1;
    return;
  }
  await flushRedis();
  const simulator = await startProcess(
    'simulator',
    ['--require', transform, 'runtime/simulator/src/index.ts'],
    {
      SIMULATOR_PORT: '0',
      SIMULATOR_TTFT_MS: '0',
      SIMULATOR_TOKENS_PER_SECOND: '0',
      LOG_LEVEL: 'info',
    },
  );
  // Profiled like the gateways under BENCH_PROFILE, so that their ratios hold there too.
  const profiled = key =>
    process.env.BENCH_PROFILE
      ? ['--cpu-prof', `--cpu-prof-dir=${join(process.env.BENCH_PROFILE, key)}`]
      : [];
  const proxy = await startProcess(
    'pass-through proxy',
    [...profiled('proxy'), join(here, 'passthrough.mjs')],
    { UPSTREAM: simulator.url, PORT: '0' },
  );
  // The same proxy relaying with Readable.pipe: the least a Node proxy does (passthrough.mjs).
  const leanProxy = await startProcess(
    'lean proxy',
    [...profiled('lean-proxy'), join(here, 'passthrough.mjs')],
    { UPSTREAM: simulator.url, PORT: '0', RELAY: 'pipe' },
  );
  const receiver = await startProcess(
    'portal stub',
    [join(here, 'portal-stub.mjs')],
    { PORT: '0' },
  );
  const redisEnv = { GATEWAY_REDIS_URL: REDIS_URL };
  const httpEnv = {
    GATEWAY_EVENTS: 'http',
    GATEWAY_EVENTS_URL: receiver.url,
    GATEWAY_EVENTS_TOKEN: 'bench',
  };
  // Each gateway serves a cell of its own, so its events are counted apart.
  const modes = [
    { name: IN_PROCESS, key: 'in-process', cell: 'bench-cell', env: httpEnv },
    {
      name: EVENTS_OFF,
      key: 'events-off',
      cell: 'bench-off',
      env: { GATEWAY_EVENTS: 'off' },
    },
    {
      // Events serialized, written to the spool and sealed as with events on, never sent: the
      // portal's address refuses connections (nothing listens on port 1), so the sender only
      // backs off. Against events off, this is what the crash-safe spool write costs a request.
      name: SPOOL_ONLY,
      key: 'spool-only',
      cell: 'bench-spool',
      env: { ...httpEnv, GATEWAY_EVENTS_URL: 'http://127.0.0.1:1' },
      spoolOnly: true,
    },
    {
      name: REDIS_HTTP,
      key: 'redis-http',
      cell: 'bench-redis',
      env: { ...redisEnv, ...httpEnv },
    },
    {
      name: PRODUCTION,
      key: 'production',
      cell: NATS_CELL,
      env: { ...redisEnv, GATEWAY_EVENTS: 'nats', GATEWAY_NATS_URL: NATS_URL },
    },
  ];
  const gateways = {};
  for (const mode of modes) {
    const stateFile = join(work, `state-${mode.key}.json`);
    writeFileSync(
      stateFile,
      JSON.stringify(benchState(simulator.url, mode.cell)),
    );
    gateways[mode.name] = await startGateway(
      work,
      mode.key,
      stateFile,
      mode.env,
    );
  }

  const results = await measureAll(
    [
      [DIRECT, simulator],
      [PROXY, proxy],
      [LEAN_PROXY, leanProxy],
      ...modes.map(mode => [mode.name, gateways[mode.name]]),
    ].map(([name, target]) => ({
      name,
      url: target.url,
      pid: target.child.pid,
    })),
  );
  const byName = Object.fromEntries(results.map(row => [row.name, row]));
  const twin = await startTwin(work, simulator.url);
  const eventCostTargets = [EVENTS_OFF, SPOOL_ONLY, IN_PROCESS];
  const eventCost = await measureEventCost([
    ...eventCostTargets.map(name => ({ name, url: gateways[name].url })),
    { name: EVENTS_OFF_TWIN, url: twin.url },
  ]);
  eventCostTargets.forEach((name, index) => {
    const { roundP50Ms, sent, failures } = eventCost.rows[index];
    byName[name].eventCostRoundP50Ms = roundP50Ms;
    byName[name].sent += sent;
    byName[name].failures += failures;
  });
  const twinRoundP50Ms = eventCost.rows[eventCostTargets.length].roundP50Ms;

  // Every answered request yields two events (RoutingDecision, UsageEvent); all must arrive:
  // counted by the portal stand-in per cell, or read back from the stream.
  process.stderr.write('waiting for the last events...\n');
  const portalCounts = async () =>
    (await fetch(`${receiver.url}/count`)).json();
  const delivered = url =>
    metric(url, 'cellport_gateway_events_delivered_total');
  const events = {};
  for (const mode of modes) {
    const transport = mode.env.GATEWAY_EVENTS;
    if (transport === 'off' || mode.spoolOnly) continue;
    const { url } = gateways[mode.name];
    const expected = 2 * byName[mode.name].sent;
    await waitFor(
      async () =>
        transport === 'http'
          ? (await portalCounts())[mode.cell]?.distinct ?? 0
          : delivered(url),
      expected,
    );
    let received;
    if (transport === 'http') {
      const count = (await portalCounts())[mode.cell] ?? {
        received: 0,
        distinct: 0,
        bytes: 0,
      };
      received = {
        where: `the portal stand-in (cell ${mode.cell})`,
        received: count.received,
        delivered: count.distinct,
        bytesPerEvent: count.received ? count.bytes / count.received : 0,
      };
    } else {
      const count = await countNatsEvents();
      received = {
        where: `${EVENTS_STREAM} on ${NATS_SUBJECT} (${count.messages} messages)`,
        received: count.events,
        delivered: count.distinct,
      };
    }
    events[mode.name] = {
      transport,
      expected,
      ...received,
      gatewayCounted: await delivered(url),
      dropped: await metric(url, 'cellport_gateway_events_dropped_total'),
    };
  }
  const redisKeys = await redisKeyCount();
  const sampleEvents = await (await fetch(`${receiver.url}/sample`)).json();
  for (const mode of modes.filter(({ spoolOnly }) => spoolOnly)) {
    events[mode.name] = {
      transport: 'spool',
      expected: 2 * byName[mode.name].sent,
      spoolDir: join(work, `spool-${mode.key}`),
    };
  }

  // Stop the servers before the micro-benchmarks, so they do not compete for the CPU.
  await Promise.all(
    children.map(
      child =>
        new Promise(done => {
          if (child.exitCode !== null) done();
          child.once('exit', done);
          child.kill('SIGTERM');
        }),
    ),
  );
  // The spool-only gateway's events must all be in its spool, once it has stopped (and so
  // sealed its open segment).
  for (const counts of Object.values(events)) {
    if (counts.transport !== 'spool') continue;
    Object.assign(counts, countSpooledEvents(counts.spoolDir));
  }
  // State files and spools (the spool-only gateway's holds every event of its run).
  rmSync(work, { recursive: true, force: true });
  process.stderr.write('measuring the spool write...\n');
  const spool = await runSpoolBenchmark(
    sampleEvents.length > 0 ? { events: sampleEvents } : {},
  );
  process.stderr.write('measuring the router...\n');
  const router = runRouterBenchmark();
  const ok = report(
    results,
    byName,
    events,
    redisKeys,
    spool,
    router,
    eventCost.perRound,
    twinRoundP50Ms,
  );
  process.exitCode = ok ? 0 : 1;
}

/**
 * The control of the event-cost phase: a second events-off gateway, the same code in another
 * process, warmed as the first was. Its p50 against the first's is what the phase cannot tell
 * apart from nothing (two processes differ by their heap and compiled code): the resolution of
 * the in-situ spool and event checks, printed beside them.
 */
async function startTwin(work, simulatorUrl) {
  const stateFile = join(work, 'state-events-off-twin.json');
  writeFileSync(
    stateFile,
    JSON.stringify(benchState(simulatorUrl, 'bench-off-twin')),
  );
  const twin = await startGateway(work, 'events-off-twin', stateFile, {
    GATEWAY_EVENTS: 'off',
  });
  process.stderr.write('warming the events-off control...\n');
  const name = EVENTS_OFF_TWIN;
  await drive(twin.url, { count: WARMUP, connections: 4, name });
  await drive(twin.url, { count: REQUESTS, connections: 1, name });
  await drive(twin.url, {
    count: LOADED_WARMUP,
    connections: CONCURRENCY,
    name,
  });
  return twin;
}

const fmt = (value, digits = 3) => value.toFixed(digits);
const verdict = met => (met ? 'met' : 'NOT MET');
/** A check's median over the rounds, and their range. */
const times = ({ median, min, max }) => ({
  value: `${fmt(median, 2)}x`,
  range: `${fmt(min, 2)}..${fmt(max, 2)}`,
});
const millis = ({ median, min, max }) => ({
  value: `${fmt(median)} ms`,
  range: `${fmt(min)}..${fmt(max)}`,
});

/** Prints the tables; returns false when a request failed or an event is missing. */
function report(
  results,
  byName,
  events,
  redisKeys,
  spool,
  router,
  eventCostPerRound,
  twinRoundP50Ms,
) {
  const direct = byName[DIRECT];
  const proxy = byName[PROXY];
  const leanProxy = byName[LEAN_PROXY];
  const inProcess = byName[IN_PROCESS];
  const eventsOff = byName[EVENTS_OFF];
  const spoolOnly = byName[SPOOL_ONLY];
  const redisHttp = byName[REDIS_HTTP];
  const production = byName[PRODUCTION];
  const gateways = [inProcess, eventsOff, spoolOnly, redisHttp, production];
  const added = (row, key) => row[key] - direct[key];
  const overProxy = (row, key) => added(row, key) - added(proxy, key);
  const perGateway = compute =>
    Object.fromEntries(gateways.map(row => [row.name, compute(row)]));
  // Ratios and differences are paired by round (the targets ran back to back in each): the
  // median of the rounds' values, with their range. Every round sends each target the same
  // requests, so a ratio of CPU is a ratio of CPU per request.
  const paired = (row, base, key, combine) =>
    spread(row[key].map((value, round) => combine(value, base[key][round])));
  const cpuRatio = (row, base) =>
    paired(row, base, 'roundCpuMs', (a, b) => a / b);
  const p50Difference = (row, base) =>
    paired(row, base, 'roundP50Ms', (a, b) => a - b);
  const ratios = {
    cpuOverProxy: perGateway(row => cpuRatio(row, proxy)),
    cpuOverLeanProxy: perGateway(row => cpuRatio(row, leanProxy)),
    warmupCpuOverProxy: perGateway(
      row => row.warmupCpuMsPerRequest / proxy.warmupCpuMsPerRequest,
    ),
    cpuOverInProcess: perGateway(row => cpuRatio(row, inProcess)),
    throughputOverProxy: perGateway(row =>
      paired(row, proxy, 'roundWallMs', (a, b) => b / a),
    ),
    addedP50OverProxyMs: perGateway(row => p50Difference(row, proxy)),
    // Tails and streams from the whole run: a round holds too few of them.
    addedP99OverProxyMs: perGateway(row => overProxy(row, 'p99Ms')),
    addedTtfbP50OverProxyMs: perGateway(row => overProxy(row, 'ttfbP50Ms')),
    // From the event-cost phase's short alternating rounds (`measureEventCost`).
    spoolAddedP50Ms: paired(
      spoolOnly,
      eventsOff,
      'eventCostRoundP50Ms',
      (a, b) => a - b,
    ),
    eventsAddedP50Ms: paired(
      inProcess,
      eventsOff,
      'eventCostRoundP50Ms',
      (a, b) => a - b,
    ),
    // Two events-off processes: what the phase reads for no difference at all.
    controlP50Ms: spread(
      eventsOff.eventCostRoundP50Ms.map(
        (value, round) => value - twinRoundP50Ms[round],
      ),
    ),
    // The same from the main phase's ten long rounds, printed beside for comparison.
    spoolAddedP50MsLongRounds: p50Difference(spoolOnly, eventsOff),
    eventsAddedP50MsLongRounds: p50Difference(inProcess, eventsOff),
    spoolAddedCpuMsPerRequest: paired(
      spoolOnly,
      eventsOff,
      'roundCpuMs',
      (a, b) => (a - b) / (REQUESTS / LOADED_ROUNDS),
    ).median,
    eventsAddedCpuMsPerRequest: paired(
      inProcess,
      eventsOff,
      'roundCpuMs',
      (a, b) => (a - b) / (REQUESTS / LOADED_ROUNDS),
    ).median,
    spoolWriteAddedP50Ms: spool.spoolP50Ms - spool.memoryP50Ms,
  };
  const allDelivered = Object.values(events).every(
    ({ expected, delivered }) => delivered === expected,
  );
  const checks = [
    {
      what: 'CPU/request: gateway in-process / proxy',
      ...times(ratios.cpuOverProxy[IN_PROCESS]),
      target: `<= ${TARGETS.cpuOverProxy}x`,
      met: ratios.cpuOverProxy[IN_PROCESS].median <= TARGETS.cpuOverProxy,
    },
    {
      what: 'CPU/request: gateway in-process / lean proxy',
      ...times(ratios.cpuOverLeanProxy[IN_PROCESS]),
      target: `<= ${TARGETS.cpuOverProxy}x`,
      met: ratios.cpuOverLeanProxy[IN_PROCESS].median <= TARGETS.cpuOverProxy,
    },
    ...[PRODUCTION, REDIS_HTTP].map(name => ({
      what: `CPU/request: ${name} / in-process`,
      ...times(ratios.cpuOverInProcess[name]),
      target: `<= ${TARGETS.productionCpuOverInProcess}x`,
      met:
        ratios.cpuOverInProcess[name].median <=
        TARGETS.productionCpuOverInProcess,
    })),
    {
      what: 'spool write: p50, spool only - events off',
      ...millis(ratios.spoolAddedP50Ms),
      target: `<= ${TARGETS.eventsAddedP50Ms} ms`,
      met: ratios.spoolAddedP50Ms.median <= TARGETS.eventsAddedP50Ms,
    },
    {
      what: 'events, delivery included: p50, in-process - off',
      ...millis(ratios.eventsAddedP50Ms),
      target: `<= ${TARGETS.eventsAddedP50Ms} ms`,
      met: ratios.eventsAddedP50Ms.median <= TARGETS.eventsAddedP50Ms,
    },
    {
      what: 'spool write - memory buffer: p50 (micro)',
      value: `${fmt(ratios.spoolWriteAddedP50Ms, 4)} ms`,
      target: `<= ${TARGETS.eventsAddedP50Ms} ms`,
      met: ratios.spoolWriteAddedP50Ms <= TARGETS.eventsAddedP50Ms,
    },
    ...[IN_PROCESS, PRODUCTION].flatMap(name => [
      {
        what: `added p99 over proxy: ${name}`,
        value: `${fmt(ratios.addedP99OverProxyMs[name])} ms`,
        target: `<= ${TARGETS.addedP99OverProxyMs} ms`,
        met: ratios.addedP99OverProxyMs[name] <= TARGETS.addedP99OverProxyMs,
      },
      {
        what: `added TTFB p50 over proxy: ${name}`,
        value: `${fmt(ratios.addedTtfbP50OverProxyMs[name])} ms`,
        target: `<= ${TARGETS.addedTtfbOverProxyMs} ms`,
        met:
          ratios.addedTtfbP50OverProxyMs[name] <= TARGETS.addedTtfbOverProxyMs,
      },
    ]),
    ...Object.entries(events).map(([name, counts]) => ({
      what:
        counts.transport === 'spool'
          ? `events in the spool: ${name}`
          : `events delivered (${counts.transport}): ${name}`,
      value: `${counts.delivered}/${counts.expected}`,
      target: 'all',
      met: counts.delivered === counts.expected,
    })),
    {
      what: 'router decision p99',
      value: `${fmt(router.p99Us, 1)} us`,
      target: `<= ${TARGETS.routerP99Us} us`,
      met: router.p99Us <= TARGETS.routerP99Us,
    },
  ];
  const failures = results.reduce((sum, row) => sum + row.failures, 0);
  const ok = failures === 0 && allDelivered;
  const summary = {
    config: {
      requests: REQUESTS,
      concurrency: CONCURRENCY,
      streamRequests: STREAM_REQUESTS,
      redisUrl: REDIS_URL,
      natsUrl: NATS_URL,
      natsSubject: NATS_SUBJECT,
    },
    rows: results.map(row => ({
      ...row,
      addedP50Ms: row === direct ? 0 : added(row, 'p50Ms'),
      addedP99Ms: row === direct ? 0 : added(row, 'p99Ms'),
      addedTtfbP50Ms: row === direct ? 0 : added(row, 'ttfbP50Ms'),
    })),
    ratios,
    checks,
    events,
    redisKeys,
    spool,
    router,
    ok,
  };
  if (process.env.BENCH_JSON === '1') {
    process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    return ok;
  }
  const lines = [
    `Gateway benchmark: ${REQUESTS} requests per phase, ${CONCURRENCY} connections under load, ${STREAM_REQUESTS} streams`,
    `  in-process: in-process counters, events over HTTP to a stand-in portal; events off: the same with GATEWAY_EVENTS=off;`,
    `  Redis: counters in ${REDIS_URL} (flushed first); NATS: events to ${NATS_URL}, subject ${NATS_SUBJECT}`,
    '',
    'target                    req/s   CPU ms/req   p50 ms   p99 ms   +p50 ms   +p99 ms   TTFB p50   TTFB p99   +TTFB p50   failures',
  ];
  for (const row of summary.rows) {
    lines.push(
      [
        row.name.padEnd(24),
        fmt(row.requestsPerSecond, 0).padStart(7),
        fmt(row.cpuMsPerRequest).padStart(12),
        fmt(row.p50Ms).padStart(8),
        fmt(row.p99Ms).padStart(8),
        fmt(row.addedP50Ms).padStart(9),
        fmt(row.addedP99Ms).padStart(9),
        fmt(row.ttfbP50Ms).padStart(10),
        fmt(row.ttfbP99Ms).padStart(10),
        fmt(row.addedTtfbP50Ms).padStart(11),
        String(row.failures).padStart(10),
      ].join(' '),
    );
  }
  lines.push(
    '',
    'gateway: median of rounds  CPU/proxy   CPU/in-process   req/s / proxy   +p50 over proxy   +p99 over proxy   +TTFB p50 over proxy',
  );
  for (const row of gateways) {
    const median = ratio => ratio[row.name].median;
    lines.push(
      [
        row.name.padEnd(26),
        `${fmt(median(ratios.cpuOverProxy), 2)}x`.padStart(10),
        `${fmt(median(ratios.cpuOverInProcess), 2)}x`.padStart(16),
        `${fmt(median(ratios.throughputOverProxy), 2)}x`.padStart(15),
        `${fmt(median(ratios.addedP50OverProxyMs))} ms`.padStart(17),
        `${fmt(ratios.addedP99OverProxyMs[row.name])} ms`.padStart(17),
        `${fmt(ratios.addedTtfbP50OverProxyMs[row.name])} ms`.padStart(22),
      ].join(' '),
    );
  }
  lines.push(
    `fresh processes, over the loaded warm-up's ${LOADED_WARMUP} requests: CPU/request over the proxy's ${gateways
      .map(row => `${row.name} ${fmt(ratios.warmupCpuOverProxy[row.name], 2)}x`)
      .join(', ')}`,
  );
  lines.push(
    '',
    'check                                                   measured   rounds (min..max)       target   verdict',
  );
  for (const check of checks) {
    lines.push(
      [
        check.what.padEnd(54),
        check.value.padStart(10),
        (check.range ?? '').padStart(19),
        check.target.padStart(12),
        `  ${verdict(check.met)}`,
      ].join(' '),
    );
  }
  lines.push('');
  for (const [name, counts] of Object.entries(events)) {
    lines.push(
      `events, ${name}: ${counts.expected} expected, ${counts.received} received (${counts.delivered} distinct) ` +
        `in ${counts.where}` +
        (counts.transport === 'spool'
          ? ''
          : `; the gateway counted ${counts.gatewayCounted} delivered, ${counts.dropped} dropped`),
    );
  }
  lines.push(
    `control: events off - a second events-off process, p50 at one connection, median of the same ${EVENT_COST_ROUNDS} rounds: ${fmt(
      ratios.controlP50Ms.median,
    )} ms (${fmt(ratios.controlP50Ms.min)}..${fmt(
      ratios.controlP50Ms.max,
    )}): the difference between two processes of the same code, under which the two checks above cannot resolve`,
    `p50 over events off at one connection, median of the main phase's ${ROUNDS} rounds of ${
      REQUESTS / ROUNDS
    } requests: spool only ${fmt(
      ratios.spoolAddedP50MsLongRounds.median,
    )} ms, in-process ${fmt(
      ratios.eventsAddedP50MsLongRounds.median,
    )} ms (the checks above: ${EVENT_COST_ROUNDS} alternating rounds of ${eventCostPerRound})`,
    `CPU ms/request over events off, median of rounds: spool only ${fmt(
      ratios.spoolAddedCpuMsPerRequest,
    )}, events delivered over HTTP ${fmt(
      ratios.eventsAddedCpuMsPerRequest,
    )} (${fmt(
      events[IN_PROCESS].bytesPerEvent,
      0,
    )} bytes an event); the Redis database holds ${redisKeys} keys after the run`,
    `spool write (micro, ${spool.requests} requests of ${
      spool.bytesPerRequest
    } bytes): p50 ${fmt(spool.spoolP50Ms, 4)} ms, p99 ${fmt(
      spool.spoolP99Ms,
      4,
    )} ms, mean ${fmt(spool.spoolMeanMs, 4)} ms; memory buffer p50 ${fmt(
      spool.memoryP50Ms,
      4,
    )} ms, p99 ${fmt(spool.memoryP99Ms, 4)} ms; serialize + write p50 ${fmt(
      spool.publishP50Ms,
      4,
    )} ms, p99 ${fmt(spool.publishP99Ms, 4)} ms`,
    `router: ${router.decisions} decisions, ${router.profiles} profiles, ${router.tenants} tenants, ` +
      `${fmt(router.meanCandidates, 1)} candidates on average: p50 ${fmt(
        router.p50Us,
        1,
      )} us, p99 ${fmt(router.p99Us, 1)} us`,
  );
  if (!ok) {
    lines.push(
      '',
      `FAILED: ${failures} requests failed, or events are missing (see above)`,
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  return ok;
}

main().catch(error => {
  process.stderr.write(`benchmark failed: ${error.stack ?? error}\n`);
  children.forEach(child => child.kill('SIGTERM'));
  process.exit(1);
});
