// Gateway benchmark: one command, same run, loopback only.
//
//   node bench/gateway/run.mjs            (from the repository root, with Node 22)
//
// It starts the simulator (instant answers), a minimal undici pass-through proxy (the floor)
// and the gateway with its full pipeline (auth, limits, routing, events delivered over HTTP
// with the disk spool), then drives each with the same requests and prints requests/s, CPU ms
// per request of the serving process, added latency over the simulator (p50/p99 at one
// connection, streaming time to first byte) and the gateway-to-proxy ratios. Finally a router
// micro-benchmark: decision time with 100 model profiles and 1,000 tenants.
//
// Knobs (env): BENCH_REQUESTS (per phase, default 10000), BENCH_CONCURRENCY (default 16),
// BENCH_STREAM_REQUESTS (default 600), BENCH_JSON=1 for machine-readable output.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  appendFileSync,
  mkdtempSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { Pool } from 'undici';
import { runRouterBenchmark } from './router.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const require = createRequire(import.meta.url);
const transform = require.resolve(
  '@backstage/cli-node/config/nodeTransform.cjs',
);

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 10000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const STREAM_REQUESTS = Number(process.env.BENCH_STREAM_REQUESTS ?? 600);
const WARMUP = 800;
const API_KEY = 'cp-bench-key-0001';
const CLOCK_TICKS_PER_SECOND = 100;

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

/** CPU seconds (user + system) a process has used, from /proc. */
function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
}

function percentile(sorted, q) {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

const chatBody = stream =>
  JSON.stringify({
    model: 'bench-model',
    messages: [
      {
        role: 'user',
        content: 'Say hello to the benchmark in one short sentence.',
      },
    ],
    max_tokens: 16,
    ...(stream
      ? { stream: true, stream_options: { include_usage: true } }
      : {}),
  });

/** Sends `count` requests over `connections` keep-alive connections; returns per-request timings in ms. */
async function drive(url, { count, connections, stream }) {
  const pool = new Pool(url, {
    connections,
    pipelining: 1,
    keepAliveTimeout: 30_000,
  });
  const body = chatBody(stream);
  const latencies = [];
  const firstBytes = [];
  let failures = 0;
  let next = 0;
  const worker = async () => {
    while (next < count) {
      next += 1;
      const start = performance.now();
      const response = await pool.request({
        path: '/v1/chat/completions',
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
  await Promise.all(Array.from({ length: connections }, worker));
  await pool.close();
  return { latencies, firstBytes, failures };
}

/** Latency phases run in rounds that alternate between targets, so that noise from other
 * work on the machine spreads over all of them instead of skewing one. */
const ROUNDS = 10;

async function measureAll(targets) {
  for (const { url } of targets) {
    await drive(url, { count: WARMUP, connections: 4, stream: false });
    await drive(url, { count: WARMUP / 4, connections: 1, stream: true });
  }
  const serial = targets.map(() => ({ latencies: [], failures: 0 }));
  const streamed = targets.map(() => ({ firstBytes: [], failures: 0 }));
  for (let round = 0; round < ROUNDS; round++) {
    process.stderr.write(`latency round ${round + 1}/${ROUNDS}\n`);
    for (const [index, { url }] of targets.entries()) {
      const json = await drive(url, {
        count: REQUESTS / ROUNDS,
        connections: 1,
        stream: false,
      });
      serial[index].latencies.push(...json.latencies);
      serial[index].failures += json.failures;
      const sse = await drive(url, {
        count: STREAM_REQUESTS / ROUNDS,
        connections: 1,
        stream: true,
      });
      streamed[index].firstBytes.push(...sse.firstBytes);
      streamed[index].failures += sse.failures;
    }
  }
  const results = [];
  for (const [index, { name, url, pid }] of targets.entries()) {
    process.stderr.write(`throughput and CPU: ${name}\n`);
    const cpuBefore = cpuSeconds(pid);
    const wallStart = performance.now();
    const loaded = await drive(url, {
      count: REQUESTS,
      connections: CONCURRENCY,
      stream: false,
    });
    const wallMs = performance.now() - wallStart;
    const cpuMs = (cpuSeconds(pid) - cpuBefore) * 1000;
    const sortedSerial = serial[index].latencies.sort((a, b) => a - b);
    const sortedTtfb = streamed[index].firstBytes.sort((a, b) => a - b);
    results.push({
      name,
      failures:
        serial[index].failures + streamed[index].failures + loaded.failures,
      requestsPerSecond: (REQUESTS / wallMs) * 1000,
      cpuMsPerRequest: cpuMs / REQUESTS,
      p50Ms: percentile(sortedSerial, 0.5),
      p99Ms: percentile(sortedSerial, 0.99),
      ttfbP50Ms: percentile(sortedTtfb, 0.5),
      ttfbP99Ms: percentile(sortedTtfb, 0.99),
    });
  }
  return results;
}

function benchState(simulatorUrl) {
  return {
    schemaVersion: 1,
    version: 'bench-1',
    cell: 'bench-cell',
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

async function main() {
  const work = mkdtempSync(join(tmpdir(), 'cellport-bench-'));
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
    {
      UPSTREAM: simulator.url,
      PORT: '0',
    },
  );
  const receiver = await startProcess(
    'portal stub',
    [join(here, 'portal-stub.mjs')],
    { PORT: '0' },
  );
  const stateFile = join(work, 'state.json');
  writeFileSync(stateFile, JSON.stringify(benchState(simulator.url)));
  const gateway = await startProcess(
    'gateway',
    [
      // BENCH_PROFILE=<dir> writes a CPU profile of the gateway there (read it in Chrome DevTools).
      ...(process.env.BENCH_TRACE_GC ? ['--trace-gc'] : []),
      ...(process.env.BENCH_PROFILE
        ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`]
        : []),
      '--require',
      transform,
      'runtime/gateway/src/index.ts',
    ],
    {
      GATEWAY_PORT: '0',
      GATEWAY_STATE_FILE: stateFile,
      // BENCH_GATEWAY_EVENTS=off measures the gateway without event delivery, for comparison.
      GATEWAY_EVENTS: process.env.BENCH_GATEWAY_EVENTS ?? 'http',
      GATEWAY_EVENTS_URL: receiver.url,
      GATEWAY_EVENTS_TOKEN: 'bench',
      GATEWAY_SPOOL_DIR: join(work, 'spool'),
      GATEWAY_ID: 'bench-gateway',
      LOG_LEVEL: 'info',
      NODE_ENV: 'production',
    },
  );

  const results = await measureAll(
    [
      ['simulator (direct)', simulator],
      ['pass-through proxy', proxy],
      ['gateway (full pipeline)', gateway],
    ].map(([name, target]) => ({
      name,
      url: target.url,
      pid: target.child.pid,
    })),
  );
  // Let the last event batches land, to show events were on and delivered.
  await new Promise(done => setTimeout(done, 1000));
  const eventsDelivered = (await (await fetch(`${receiver.url}/count`)).json())
    .received;
  // Stop the servers before the router micro-benchmark, so they do not compete for the CPU.
  await Promise.all(
    children.map(
      child =>
        new Promise(done => {
          child.once('exit', done);
          child.kill('SIGTERM');
        }),
    ),
  );
  process.stderr.write('measuring the router...\n');
  const router = runRouterBenchmark();
  report(results, router, eventsDelivered);
}

const fmt = (value, digits = 3) => value.toFixed(digits);

function report(results, router, eventsDelivered) {
  const [direct, proxy, gateway] = results;
  const added = (row, key) => row[key] - direct[key];
  const summary = {
    config: {
      requests: REQUESTS,
      concurrency: CONCURRENCY,
      streamRequests: STREAM_REQUESTS,
    },
    rows: results.map(row => ({
      ...row,
      addedP50Ms: row === direct ? 0 : added(row, 'p50Ms'),
      addedP99Ms: row === direct ? 0 : added(row, 'p99Ms'),
      addedTtfbP50Ms: row === direct ? 0 : added(row, 'ttfbP50Ms'),
    })),
    ratios: {
      cpuPerRequestGatewayOverProxy:
        gateway.cpuMsPerRequest / proxy.cpuMsPerRequest,
      addedP99GatewayMinusProxyMs:
        added(gateway, 'p99Ms') - added(proxy, 'p99Ms'),
      addedTtfbP50GatewayMinusProxyMs:
        added(gateway, 'ttfbP50Ms') - added(proxy, 'ttfbP50Ms'),
      throughputGatewayOverProxy:
        gateway.requestsPerSecond / proxy.requestsPerSecond,
    },
    eventsDelivered,
    router,
  };
  if (process.env.BENCH_JSON === '1') {
    process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    return;
  }
  const lines = [
    `Gateway benchmark: ${REQUESTS} requests per phase, ${CONCURRENCY} connections under load, ${STREAM_REQUESTS} streams`,
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
  const r = summary.ratios;
  lines.push(
    '',
    `gateway / proxy CPU per request:        ${fmt(
      r.cpuPerRequestGatewayOverProxy,
      2,
    )}x   (target <= 2.5x)`,
    `gateway added p99 over proxy (1 conn):  ${fmt(
      r.addedP99GatewayMinusProxyMs,
    )} ms   (target <= 1 ms)`,
    `gateway added TTFB p50 over proxy:      ${fmt(
      r.addedTtfbP50GatewayMinusProxyMs,
    )} ms   (target <= 1 ms)`,
    `gateway / proxy throughput:             ${fmt(
      r.throughputGatewayOverProxy,
      2,
    )}x`,
    `events delivered to the portal stand-in: ${eventsDelivered}`,
    '',
    `router: ${router.decisions} decisions, ${router.profiles} profiles, ${router.tenants} tenants, ` +
      `${fmt(router.meanCandidates, 1)} candidates on average: p50 ${fmt(
        router.p50Us,
        1,
      )} us, ` +
      `p99 ${fmt(router.p99Us, 1)} us   (target p99 <= 50 us)`,
  );
  process.stdout.write(`${lines.join('\n')}\n`);
}

main().catch(error => {
  process.stderr.write(`benchmark failed: ${error.stack ?? error}\n`);
  children.forEach(child => child.kill('SIGTERM'));
  process.exit(1);
});
