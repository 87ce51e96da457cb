/*
 * Benchmark of plugins/platform-backend (issue 4): loads 30 days of rollups for 50 tenants and
 * 5 million raw routing decisions, then measures, on SQLite and on PostgreSQL:
 *   - ingest rate: batches of 5000 events validated and stored through IngestService, the path
 *     behind POST /api/platform/events and the NATS consumer, on top of the loaded data, and
 *     its ratio to the floor measured in the same run: the same rows inserted as they are;
 *   - p50/p95 of the cell dashboard's calls: SLO summary, cost breakdown, first page of decisions.
 *
 *   node --require @backstage/cli/config/nodeTransform.cjs bench/platform-backend/run.ts \
 *     [--decisions 5000000] [--ingest-events 200000] [--db sqlite,postgres] [--samples 40]
 *
 * PostgreSQL comes from BENCH_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432); a
 * scratch database `cellport_bench` is created and dropped. SQLite uses a file under os.tmpdir().
 */
import { knex as createKnex, Knex } from 'knex';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  EVENTS_SCHEMA_VERSION,
  PlatformEvent,
  RoutingDecision,
  UsageEvent,
} from '@cellport/plugin-platform-common';
import { ManualClock, PlatformCatalog } from '@cellport/plugin-platform-node';
import { applyDatabaseMigrations } from '../../plugins/platform-backend/src/database/migrations';
import { tuneSqlite } from '../../plugins/platform-backend/src/database/sqliteTuning';
import {
  chunk,
  insertChunkSize,
} from '../../plugins/platform-backend/src/database/chunks';
import { CostEngine } from '../../plugins/platform-backend/src/services/cost/CostEngine';
import { DEFAULT_GPU_HOURLY_USD } from '../../plugins/platform-backend/src/services/cost/gpuPrices';
import { GpuSpendLedger } from '../../plugins/platform-backend/src/services/cost/GpuSpendLedger';
import { DecisionStore } from '../../plugins/platform-backend/src/services/decisions/DecisionStore';
import {
  DECISION_COLUMNS,
  decisionRow,
  usageRow,
} from '../../plugins/platform-backend/src/services/ingest/eventRows';
import { IngestService } from '../../plugins/platform-backend/src/services/ingest/IngestService';
import { parseEventBatch } from '../../plugins/platform-backend/src/services/ingest/parseEventBatch';
import {
  bucketIndex,
  histogramColumn,
} from '../../plugins/platform-backend/src/services/rollups/histogram';
import {
  ROLLUP_TABLES,
  KEY_COLUMNS,
} from '../../plugins/platform-backend/src/services/rollups/rollupSchema';
import { RollupStore } from '../../plugins/platform-backend/src/services/rollups/RollupStore';
import { SloEngine } from '../../plugins/platform-backend/src/services/slo/SloEngine';
import { SloService } from '../../plugins/platform-backend/src/services/slo/SloService';
import {
  DAY_MS,
  HOUR_MS,
  MINUTE_MS,
} from '../../plugins/platform-backend/src/services/rollups/timeRanges';

const args = parseArgs(process.argv.slice(2));
const DECISIONS = Number(args.decisions ?? 5_000_000);
const INGEST_EVENTS = Number(args['ingest-events'] ?? 200_000);
const DATABASES = String(args.db ?? 'sqlite,postgres').split(',');
const SAMPLES = Number(args.samples ?? 40);
const PG_URL =
  process.env.BENCH_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432';

const NOW = Date.UTC(2026, 10, 23, 12, 0);
const DAYS = 30;
const CELLS = 10;
const TENANTS = 50;
const MODELS = [
  'azure-gpt-4o-eu',
  'azure-gpt-4o-mini-eu',
  'gpt-4o-mini',
  'llama-3-1-70b',
];

const cellOf = (t: number) => `cell-${String(t % CELLS).padStart(2, '0')}`;
const tenantName = (t: number) => `tenant-${String(t).padStart(2, '0')}`;
const agentName = (t: number, a: number) =>
  `agent-${String(t).padStart(2, '0')}-${a}`;
const BENCH_CELL = cellOf(0);

function parseArgs(argv: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    if (argv[i].startsWith('--')) out[argv[i].slice(2)] = argv[i + 1] ?? '';
  }
  return out;
}

/** Deterministic pseudo-random numbers, so both databases get the same data. */
function random(seed: number) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

function log(message: string) {
  process.stdout.write(
    `${new Date().toISOString().slice(11, 19)} ${message}\n`,
  );
}

/** A catalog of 10 cells, 50 tenants and 100 agents, as the engines read it. */
function benchCatalog(): PlatformCatalog {
  const apiVersion = 'cellport.dev/v1alpha1';
  const k8s = (name: string) => ({ 'backstage.io/kubernetes-id': name });
  const entities = {
    cells: Array.from({ length: CELLS }, (_, c) => ({
      apiVersion,
      kind: 'Cell',
      metadata: { name: cellOf(c), annotations: k8s(cellOf(c)) },
      spec: { tenants: [], slos: undefined },
    })),
    tenants: Array.from({ length: TENANTS }, (_, t) => ({
      apiVersion,
      kind: 'Tenant',
      metadata: { name: tenantName(t) },
      spec: { owner: 'group:bench', monthlyBudgetUsd: 5000 },
    })),
    agents: Array.from({ length: TENANTS * 2 }, (_, i) => ({
      apiVersion,
      kind: 'Agent',
      metadata: { name: agentName(i >> 1, i & 1) },
      spec: { tenant: tenantName(i >> 1), cell: cellOf(i >> 1), runBudget: {} },
    })),
    modelProfiles: [],
    inferenceDeployments: [],
    isolation: { cells: [], tenants: [], inferenceDeployments: [] },
  };
  return { entities: async () => entities } as unknown as PlatformCatalog;
}

function decision(
  i: number,
  time: number,
  rand: () => number,
): RoutingDecision {
  const t = i % TENANTS;
  const a = (i >> 7) & 1;
  const failed = rand() < 0.01;
  const fellBack = !failed && rand() < 0.04;
  const chosen = MODELS[(t + a) % MODELS.length];
  return {
    id: `bench-d-${i}`,
    schemaVersion: EVENTS_SCHEMA_VERSION,
    type: 'routing-decision',
    requestId: `bench-r-${i}`,
    timestamp: new Date(time).toISOString(),
    gateway: `gw-${cellOf(t)}-0`,
    cell: cellOf(t),
    tenant: tenantName(t),
    agent: agentName(t, a),
    stateVersion: 'bench-v1',
    requestedModel: chosen,
    policy: 'balanced',
    complexityScore: 0.4,
    requiredCapabilities: ['tools'],
    estimatedInputTokens: 1200,
    candidates: [
      { modelProfile: chosen, kept: true, rank: 0, score: 0.8 },
      {
        modelProfile: 'gpt-4o',
        kept: false,
        dropReason: rand() < 0.5 ? 'residency' : 'budget',
      },
    ],
    chosen: failed ? undefined : chosen,
    fallbacks: fellBack
      ? [
          {
            modelProfile: MODELS[0],
            errorClass: 'upstream-unavailable',
            status: 503,
            latencyMs: 90,
          },
        ]
      : [],
    routerDecisionMs: 1 + rand() * 20,
    outcome: failed ? 'error' : 'success',
    errorClass: failed ? 'upstream-timeout' : undefined,
  };
}

function usage(d: RoutingDecision, rand: () => number): UsageEvent {
  const inputTokens = 500 + Math.floor(rand() * 3000);
  const outputTokens = 100 + Math.floor(rand() * 600);
  const upstream = 300 + rand() * 2500;
  return {
    id: d.id.replace('-d-', '-u-'),
    schemaVersion: EVENTS_SCHEMA_VERSION,
    type: 'usage',
    requestId: d.requestId,
    timestamp: d.timestamp,
    gateway: d.gateway,
    cell: d.cell,
    tenant: d.tenant,
    agent: d.agent,
    stateVersion: d.stateVersion,
    modelProfile: d.chosen,
    provider: 'azure-openai',
    stream: true,
    inputTokens,
    outputTokens,
    tokensEstimated: false,
    costUsd: (inputTokens * 2.5 + outputTokens * 10) / 1e6,
    cached: false,
    gatewayOverheadMs: 3 + rand() ** 4 * 300,
    upstreamLatencyMs: upstream,
    timeToFirstTokenMs: upstream * 0.3,
    totalLatencyMs: upstream + 10,
    status: d.outcome === 'error' ? 504 : 200,
    outcome: d.outcome,
    errorClass: d.errorClass,
  };
}

/** Raw decisions straight into the table, the rows ingest would write, spread over 30 days. */
async function loadDecisions(db: Knex) {
  const rand = random(42);
  const span = DAYS * DAY_MS;
  const perBatch = 20_000;
  for (let start = 0; start < DECISIONS; start += perBatch) {
    const rows = [];
    for (let i = start; i < Math.min(start + perBatch, DECISIONS); i++) {
      const time = NOW - span + Math.floor((i / DECISIONS) * span);
      rows.push(decisionRow(decision(i, time, rand), false));
    }
    await db.transaction(async trx => {
      for (const part of chunk(
        rows,
        insertChunkSize(Object.keys(rows[0]).length),
      )) {
        await trx('platform_routing_decisions').insert(part);
      }
    });
    if ((start / perBatch) % 25 === 0)
      log(`  decisions ${start + rows.length}/${DECISIONS}`);
  }
}

/** Rollups for 30 days: hour and day tables throughout, minute table for its 7-day retention. */
async function loadRollups(db: Knex) {
  const rand = random(7);
  const rowFor = (
    bucketMinute: number,
    t: number,
    a: number,
    outcome: string,
    requests: number,
  ) => {
    const row: Record<string, number | string> = {
      bucket: bucketMinute,
      cell: cellOf(t),
      tenant: tenantName(t),
      agent: agentName(t, a),
      model_profile: MODELS[(t + a) % MODELS.length],
      outcome,
      demo: 0,
      requests,
      decisions: requests,
      input_tokens: requests * 1700,
      output_tokens: requests * 400,
      cost_usd: requests * 0.008,
    };
    if (outcome === 'error') row.err_upstream_timeout = requests;
    for (const [metric, ms] of [
      ['overhead', 12],
      ['upstream', 900],
      ['ttft', 280],
      ['router', 4],
    ] as const) {
      row[histogramColumn(metric, bucketIndex(ms))] = Math.ceil(requests * 0.8);
      row[histogramColumn(metric, bucketIndex(ms * 3))] =
        Math.floor(requests * 0.2) || 0;
    }
    return row;
  };
  const insertAll = async (
    table: string,
    rows: Array<Record<string, number | string>>,
  ) => {
    const columns = new Set(rows.flatMap(r => Object.keys(r)));
    const full = rows.map(r =>
      Object.fromEntries([...columns].map(c => [c, r[c] ?? 0])),
    );
    await db.transaction(async trx => {
      for (const part of chunk(full, insertChunkSize(columns.size))) {
        await trx(table).insert(part);
      }
    });
  };
  const start = NOW - DAYS * DAY_MS;
  for (const [granularity, width, from] of [
    ['day', DAY_MS, start],
    ['hour', HOUR_MS, start],
    ['minute', MINUTE_MS, NOW - 7 * DAY_MS],
  ] as const) {
    let rows: Array<Record<string, number | string>> = [];
    let count = 0;
    for (let time = from; time < NOW; time += width) {
      for (let t = 0; t < TENANTS; t++) {
        for (let a = 0; a < 2; a++) {
          const perMinute = 1.2;
          const requests = Math.max(
            1,
            Math.round((width / MINUTE_MS) * perMinute),
          );
          if (granularity === 'minute' && rand() > 0.7) continue;
          rows.push(
            rowFor(Math.floor(time / MINUTE_MS), t, a, 'success', requests),
          );
          if (rand() < (granularity === 'minute' ? 0.01 : 0.5)) {
            rows.push(
              rowFor(
                Math.floor(time / MINUTE_MS),
                t,
                a,
                'error',
                Math.ceil(requests * 0.01),
              ),
            );
          }
        }
      }
      if (rows.length >= 20_000) {
        await insertAll(ROLLUP_TABLES[granularity], rows);
        count += rows.length;
        rows = [];
      }
    }
    if (rows.length) await insertAll(ROLLUP_TABLES[granularity], rows);
    count += rows.length;
    log(`  ${granularity} rollups: ${count} rows`);
  }
}

/** INGEST_EVENTS fresh events (the last hour's traffic) as posted JSON bodies of 5000. */
function ingestBatches(seed: number, firstId: number): unknown[] {
  const rand = random(seed);
  const batches: unknown[] = [];
  const requests = INGEST_EVENTS / 2;
  for (let i = 0; i < requests; i += 2500) {
    const events: PlatformEvent[] = [];
    for (let j = i; j < Math.min(i + 2500, requests); j++) {
      const time = NOW - HOUR_MS + Math.floor((j / requests) * HOUR_MS);
      const d = decision(firstId + j, time, rand);
      events.push(d, usage(d, rand));
    }
    // Through JSON, as a posted body arrives.
    batches.push(JSON.parse(JSON.stringify({ events })));
  }
  return batches;
}

/** Runs `store` over the batches in `streams` concurrent streams; events stored per second. */
async function timeStreams(
  batches: unknown[],
  streams: number,
  store: (body: unknown) => Promise<number>,
) {
  const started = process.hrtime.bigint();
  let stored = 0;
  let next = 0;
  await Promise.all(
    Array.from({ length: streams }, async () => {
      while (next < batches.length) {
        // Not `stored += await …`: that reads `stored` before the other stream adds to it.
        const count = await store(batches[next++]);
        stored += count;
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { events: stored, seconds, rate: stored / seconds };
}

/**
 * Ingests fresh events through validation and IngestService, in `streams` concurrent streams
 * of batches, as several gateways (or NATS consumers) would post them.
 */
async function measureIngest(db: Knex, streams: number, firstId: number) {
  const ingest = new IngestService(db);
  return timeStreams(
    ingestBatches(99 + streams, firstId),
    streams,
    async body => (await ingest.ingest(parseEventBatch(body))).stored,
  );
}

/**
 * The floor ingest is compared with, in the same run and database: the same events' rows
 * inserted as they are, one stream, with no validation, no duplicate check and no rollups.
 */
async function measureInsertFloor(db: Knex, firstId: number) {
  return timeStreams(ingestBatches(7, firstId), 1, async body => {
    const events = (body as { events: PlatformEvent[] }).events;
    const decisions = events
      .filter((e): e is RoutingDecision => e.type === 'routing-decision')
      .map(e => decisionRow(e, false));
    const usages = events
      .filter((e): e is UsageEvent => e.type === 'usage')
      .map(e => usageRow(e, false));
    await db.transaction(async trx => {
      for (const [table, rows] of [
        ['platform_routing_decisions', decisions],
        ['platform_usage_events', usages],
      ] as const) {
        for (const part of chunk(
          rows as object[],
          insertChunkSize(Object.keys(rows[0]).length),
        )) {
          await trx(table).insert(part);
        }
      }
    });
    return events.length;
  });
}

async function measure(name: string, fn: () => Promise<unknown>) {
  for (let i = 0; i < 3; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const t = process.hrtime.bigint();
    await fn();
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  times.sort((a, b) => a - b);
  const at = (q: number) =>
    times[Math.min(times.length - 1, Math.ceil(q * times.length) - 1)];
  return { name, p50: at(0.5), p95: at(0.95) };
}

async function dashboard(db: Knex) {
  if (process.env.BENCH_PROFILE) {
    const started = new Map<string, bigint>();
    db.on('query', q => started.set(q.__knexQueryUid, process.hrtime.bigint()));
    db.on('query-response', (_r, q) => {
      const t = started.get(q.__knexQueryUid);
      if (t)
        log(
          `    ${(Number(process.hrtime.bigint() - t) / 1e6).toFixed(
            1,
          )} ms ${q.sql.slice(0, 60)} ${JSON.stringify(q.bindings).slice(
            0,
            80,
          )}`,
        );
    });
    const c = new ManualClock(NOW - 7 * MINUTE_MS);
    const r = new RollupStore(db, { clock: c, minuteRetentionDays: 7 });
    const t0 = Date.now();
    await new SloService(benchCatalog(), new SloEngine(r, c)).report({
      kind: 'cell',
      name: BENCH_CELL,
    });
    log(`  profiled SLO report: ${Date.now() - t0} ms`);
  }
  const clock = new ManualClock(NOW);
  const catalog = benchCatalog();
  const rollups = new RollupStore(db, { clock, minuteRetentionDays: 7 });
  const slo = new SloService(catalog, new SloEngine(rollups, clock));
  const cost = new CostEngine(
    rollups,
    catalog,
    clock,
    new GpuSpendLedger({
      catalog,
      rollups,
      firstApplied: async () => new Map(),
      gpuHourlyUsd: DEFAULT_GPU_HOURLY_USD,
    }),
  );
  const decisions = new DecisionStore(db);
  // The dashboard's "now" moves on by a minute per call, as a live dashboard's does.
  let tick = 0;
  const moving = () => clock.set(NOW - (tick++ % 60) * MINUTE_MS);
  return [
    await measure(
      'SLO summary (cell, 3 objectives, 28d + burn windows)',
      () => {
        moving();
        return slo.report({ kind: 'cell', name: BENCH_CELL });
      },
    ),
    await measure('cost breakdown (cell, 30d by tenant, daily series)', () => {
      moving();
      return cost.breakdown(
        { from: clock.now() - DAYS * DAY_MS, to: clock.now() },
        'tenant',
        'day',
        {
          cell: BENCH_CELL,
        },
      );
    }),
    await measure('decisions, first page (cell, last 24h, 50 rows)', () => {
      moving();
      return decisions.list(
        { from: clock.now() - DAY_MS, to: clock.now(), cell: BENCH_CELL },
        { limit: 50 },
      );
    }),
  ];
}

async function openDatabase(
  kind: string,
): Promise<{ db: Knex; close: () => Promise<void> }> {
  if (kind === 'sqlite') {
    const file = path.join(os.tmpdir(), `cellport-bench-${process.pid}.sqlite`);
    fs.rmSync(file, { force: true });
    const db = createKnex({
      client: 'better-sqlite3',
      connection: { filename: file },
      useNullAsDefault: true,
    });
    // As the plugin tunes its SQLite file at startup.
    await tuneSqlite(db);
    return {
      db,
      close: async () => {
        await db.destroy();
        for (const suffix of ['', '-wal', '-shm'])
          fs.rmSync(file + suffix, { force: true });
      },
    };
  }
  const admin = createKnex({ client: 'pg', connection: `${PG_URL}/postgres` });
  await admin.raw('DROP DATABASE IF EXISTS cellport_bench');
  await admin.raw('CREATE DATABASE cellport_bench');
  const db = createKnex({
    client: 'pg',
    connection: `${PG_URL}/cellport_bench`,
    pool: { min: 1, max: 5 },
  });
  return {
    db,
    close: async () => {
      await db.destroy();
      await admin.raw('DROP DATABASE IF EXISTS cellport_bench');
      await admin.destroy();
    },
  };
}

function rate(result: { events: number; rate: number }) {
  return `${Math.round(result.rate).toLocaleString('en')} events/s (${
    result.events
  } events in batches of 5000, validated)`;
}

async function main() {
  log(
    `platform-backend bench: ${DECISIONS} raw decisions, ${DAYS} days of rollups for ${TENANTS} tenants, ` +
      `${INGEST_EVENTS} events ingested, ${os.cpus().length} CPUs`,
  );
  const report: string[] = [];
  for (const kind of DATABASES) {
    log(`[${kind}] loading`);
    const { db, close } = await openDatabase(kind);
    try {
      await applyDatabaseMigrations(db);
      const loadStart = Date.now();
      await loadRollups(db);
      await loadDecisions(db);
      // Settle the load (statistics, and a checkpoint so its writes do not land in the timings).
      if (kind === 'postgres') {
        await db.raw('VACUUM ANALYZE');
        await db.raw('CHECKPOINT');
      } else {
        await db.raw('ANALYZE');
        await db.raw('PRAGMA wal_checkpoint(TRUNCATE)');
      }
      log(
        `[${kind}] loaded in ${((Date.now() - loadStart) / 1000).toFixed(
          0,
        )} s; ingesting`,
      );
      const sequential = await measureIngest(db, 1, DECISIONS);
      log(
        `[${kind}] ingest, one stream: ${
          sequential.events
        } events in ${sequential.seconds.toFixed(1)} s`,
      );
      const concurrent = await measureIngest(db, 2, DECISIONS + INGEST_EVENTS);
      log(
        `[${kind}] ingest, two streams: ${
          concurrent.events
        } events in ${concurrent.seconds.toFixed(1)} s`,
      );
      const floor = await measureInsertFloor(db, DECISIONS + 2 * INGEST_EVENTS);
      log(
        `[${kind}] plain insert floor: ${
          floor.events
        } events in ${floor.seconds.toFixed(1)} s`,
      );
      const calls = await dashboard(db);
      report.push(
        `${kind}: ingest, one stream of batches: ${rate(sequential)}`,
        `${kind}: ingest, two concurrent streams: ${rate(concurrent)}`,
        `${kind}: plain insert of the same rows, one stream (the floor): ${Math.round(
          floor.rate,
        ).toLocaleString('en')} events/s; ingest reaches ${(
          sequential.rate / floor.rate
        ).toFixed(2)}x of it with one stream, ${(
          concurrent.rate / floor.rate
        ).toFixed(2)}x with two`,
        ...calls.map(
          c =>
            `${kind}: ${c.name}: p50 ${c.p50.toFixed(
              1,
            )} ms, p95 ${c.p95.toFixed(1)} ms`,
        ),
      );
    } finally {
      await close();
    }
  }
  log('results');
  for (const line of report) process.stdout.write(`  ${line}\n`);
}

main().catch(error => {
  process.stderr.write(`${error.stack ?? error}\n`);
  process.exit(1);
});
