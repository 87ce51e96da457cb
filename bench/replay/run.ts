/*
 * Replay benchmark (issue 18): stores 1,000,000 routing decisions (with their usage) of one
 * cell in PostgreSQL, then, in the same run and database:
 *   - the baseline: a plain scan of the same rows, read through the same keyset-paginated
 *     stream the replay reads, with nothing done to them;
 *   - the replay of the unchanged state (the determinism check) and of a proposed change,
 *     through ReplayService, as the platform API would run them;
 * and prints decisions/s, time, peak RSS and heap of each, and the replay's ratio to the scan.
 *
 *   node --require @backstage/cli/config/nodeTransform.cjs bench/replay/run.ts \
 *     [--decisions 1000000] [--keep]     (or: yarn bench:replay)
 *
 * PostgreSQL comes from BENCH_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432); a
 * scratch database `cellport_bench_replay` is created and dropped (kept with --keep).
 * The decisions are the demo history of the example catalog's cell eu-west-shared-1, routed
 * by @cellport/router: a pool of 30 days, copied with shifted ids and times up to the count.
 */
import { knex as createKnex, Knex } from 'knex';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { demoRequestsFor } from '@cellport/plugin-platform-backend-module-demo';
import {
  PlatformEvent,
  RoutingDecision,
  UsageEvent,
} from '@cellport/plugin-platform-common';
import {
  cellRoutingState,
  PlatformEntities,
  toPlatformEntities,
} from '@cellport/plugin-platform-node';
import { applyDatabaseMigrations } from '../../plugins/platform-backend/src/database/migrations';
import {
  DECISION_COLUMNS,
  decisionRow,
  USAGE_COLUMNS,
  usageRow,
} from '../../plugins/platform-backend/src/services/ingest/eventRows';
import { DecisionStream } from '../../plugins/platform-backend/src/services/replay/DecisionStream';
import { ReplayService } from '../../plugins/platform-backend/src/services/replay/ReplayService';
import type { ReplayResult } from '../../plugins/platform-backend/src/services/replay/replayTypes';

const args = process.argv.slice(2);
const option = (name: string) => {
  const index = args.indexOf(`--${name}`);
  return index >= 0 ? args[index + 1] : undefined;
};
const DECISIONS = Number(option('decisions') ?? 1_000_000);
const KEEP = args.includes('--keep');
const PG_URL =
  process.env.BENCH_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432';
const DATABASE = 'cellport_bench_replay';
const CELL = 'eu-west-shared-1';
const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
const TO = Date.UTC(2026, 10, 30);
const FROM = TO - 30 * DAY_MS;
const TARGET_S = 10;

function log(line: string) {
  process.stderr.write(`${line}\n`);
}

/** The example catalog, parsed as the portal's catalog reader parses it. */
function exampleCatalog(): PlatformEntities {
  const dir = path.resolve(__dirname, '../../examples');
  const items = fs
    .readdirSync(dir)
    .filter(f => f.endsWith('.yaml'))
    .flatMap(file =>
      parseAllDocuments(fs.readFileSync(path.join(dir, file), 'utf8')).map(
        doc => doc.toJS(),
      ),
    )
    .filter(entity => entity?.kind);
  return toPlatformEntities(items, () => {});
}

/** Peak RSS and heap while `work` runs, sampled every 10 ms and at each call of `sample`. */
async function measured<T>(work: (sample: () => void) => Promise<T>): Promise<{
  value: T;
  seconds: number;
  peakRssMb: number;
  peakHeapMb: number;
}> {
  global.gc?.();
  let peakRss = 0;
  let peakHeap = 0;
  const sample = () => {
    const usage = process.memoryUsage();
    peakRss = Math.max(peakRss, usage.rss);
    peakHeap = Math.max(peakHeap, usage.heapUsed);
  };
  const timer = setInterval(sample, 10);
  const started = performance.now();
  const cpu = process.cpuUsage();
  try {
    const value = await work(sample);
    const used = process.cpuUsage(cpu);
    return {
      value,
      seconds: (performance.now() - started) / 1000,
      nodeCpuSeconds: (used.user + used.system) / 1e6,
      peakRssMb: Math.round(peakRss / 2 ** 20),
      peakHeapMb: Math.round(peakHeap / 2 ** 20),
    };
  } finally {
    clearInterval(timer);
    sample();
  }
}

async function freshDatabase(): Promise<Knex> {
  const admin = createKnex({ client: 'pg', connection: PG_URL });
  await admin.raw(`DROP DATABASE IF EXISTS ${DATABASE}`);
  await admin.raw(`CREATE DATABASE ${DATABASE}`);
  await admin.destroy();
  const url = new URL(PG_URL);
  url.pathname = `/${DATABASE}`;
  return createKnex({
    client: 'pg',
    connection: url.toString(),
    pool: { min: 1, max: 4 },
  });
}

/** Inserts rows through one JSON parameter per 5000 rows, as ingest does. */
async function insertRows(
  db: Knex,
  table: string,
  columns: typeof DECISION_COLUMNS,
  rows: Array<Record<string, unknown>>,
) {
  const types: Record<string, string> = {
    text: 'text',
    bigint: 'bigint',
    integer: 'integer',
    boolean: 'boolean',
    double: 'double precision',
  };
  const names = columns.map(c => `"${c.name}"`).join(', ');
  const definition = columns
    .map(c => `"${c.name}" ${types[c.type]}`)
    .join(', ');
  for (let i = 0; i < rows.length; i += 5000) {
    await db.raw(
      `INSERT INTO ${table} (${names}) SELECT ${names} FROM json_to_recordset(?::json) AS input(${definition})`,
      [JSON.stringify(rows.slice(i, i + 5000))],
    );
  }
}

/**
 * Stores the pool of demo decisions once, then copies it server-side (INSERT … SELECT over
 * generate_series) with ids suffixed and times shifted by a few milliseconds per copy, until
 * `count` decisions: fast, and every row a decision the router made. Rows are written in time
 * order, as ingest writes them.
 */
async function load(db: Knex, entities: PlatformEntities, count: number) {
  const agents = entities.agents.filter(a => a.spec.cell.endsWith(CELL));
  const { state } = cellRoutingState(CELL, entities);
  const pool: PlatformEvent[] = [];
  for (let hour = FROM; hour < TO; hour += HOUR_MS) {
    for (const agent of agents)
      pool.push(...demoRequestsFor(agent, state, hour));
  }
  const decisions = pool.filter(
    (e): e is RoutingDecision => e.type === 'routing-decision',
  );
  const usage = pool.filter((e): e is UsageEvent => e.type === 'usage');
  const copies = Math.ceil(count / decisions.length);
  const started = performance.now();
  log(
    `loading ${count} decisions: a pool of ${decisions.length} demo decisions of ${agents.length} agents x ${copies} copies`,
  );
  await db.raw(
    'CREATE TABLE bench_pool_decisions (LIKE platform_routing_decisions)',
  );
  await db.raw('CREATE TABLE bench_pool_usage (LIKE platform_usage_events)');
  await insertRows(
    db,
    'bench_pool_decisions',
    DECISION_COLUMNS,
    decisions.map(d => decisionRow(d, true)),
  );
  await insertRows(
    db,
    'bench_pool_usage',
    USAGE_COLUMNS,
    usage.map(u => usageRow(u, true)),
  );
  const columns = async (table: string) =>
    (
      await db('information_schema.columns')
        .select('column_name')
        .where({ table_name: table })
        .orderBy('ordinal_position')
    ).map(r => r.column_name as string);
  const copy = async (table: string, pool: string, ids: string[]) => {
    const names = await columns(table);
    const select = names.map(name => {
      if (ids.includes(name)) return `p.${name} || '-' || g`;
      if (name === 'ts') return 'p.ts + g';
      return `p.${name}`;
    });
    await db.raw(
      `INSERT INTO ${table} (${names.join(', ')})
       SELECT ${select.join(
         ', ',
       )} FROM ${pool} p CROSS JOIN generate_series(0, ?) g
       WHERE g * ? + p.rn < ? ORDER BY p.ts + g`,
      [copies - 1, decisions.length, count],
    );
  };
  // Row numbers cut the last copy short, so exactly `count` decisions are stored.
  for (const pool of ['bench_pool_decisions', 'bench_pool_usage']) {
    await db.raw(`ALTER TABLE ${pool} ADD COLUMN rn bigint`);
    await db.raw(
      `UPDATE ${pool} SET rn = n.rn FROM (SELECT request_id, row_number() OVER (ORDER BY request_id) - 1 AS rn FROM ${pool}) n WHERE n.request_id = ${pool}.request_id`,
    );
  }
  await copy('platform_routing_decisions', 'bench_pool_decisions', [
    'id',
    'request_id',
  ]);
  await copy('platform_usage_events', 'bench_pool_usage', ['id', 'request_id']);
  await db.raw('DROP TABLE bench_pool_decisions, bench_pool_usage');
  log(`copied in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  // What autovacuum does to an insert-only table soon after: marks its pages all-visible,
  // which index-only scans need.
  await db.raw('VACUUM ANALYZE platform_routing_decisions');
  await db.raw('VACUUM ANALYZE platform_usage_events');
}

function summary(
  name: string,
  decisions: number,
  run: Awaited<ReturnType<typeof measured>>,
) {
  return {
    name,
    decisions,
    seconds: Math.round(run.seconds * 100) / 100,
    decisionsPerSecond: Math.round(decisions / run.seconds),
    // The benchmark's own CPU time: the machine may be shared, wall time is not all ours.
    nodeCpuSeconds: Math.round(run.nodeCpuSeconds * 100) / 100,
    peakRssMb: run.peakRssMb,
    peakHeapMb: run.peakHeapMb,
  };
}

async function main() {
  const entities = exampleCatalog();
  const db = await freshDatabase();
  try {
    await applyDatabaseMigrations(db);
    const loadRun = await measured(() => load(db, entities, DECISIONS));
    const [{ stored }] = await db('platform_routing_decisions').count({
      stored: '*',
    });
    log(`stored ${stored} decisions in ${loadRun.seconds.toFixed(1)} s`);
    const catalog = { entities: async () => entities };
    const range = {
      cell: CELL,
      from: new Date(FROM).toISOString(),
      to: new Date(TO).toISOString(),
    };
    const scope = { cell: CELL, from: FROM, to: TO };
    const service = new ReplayService(db, catalog);

    // Warm the database's cache and the code once, on a day of the range.
    await service.replay({
      ...range,
      to: new Date(FROM + DAY_MS).toISOString(),
    });

    log('scanning (baseline)...');
    const scan = await measured(async sample => {
      let rows = 0;
      for await (const batch of new DecisionStream(db).batches(scope)) {
        rows += batch.length;
        sample();
      }
      return rows;
    });
    log('replaying the unchanged state...');
    const unchanged = await measured(sample =>
      service.replay(range, { onProgress: sample }),
    );
    log('replaying a proposed change...');
    const change = {
      // The cheap profile gets cheaper, the frontier one goes down (an outage), and the
      // assistant moves to the cost policy: routes, refusals and costs all move.
      agents: { 'checkout-assistant': { policy: 'cost' } },
      modelProfiles: {
        'azure-gpt-4o-mini-eu': { inputPerMillionUsd: 0.1 },
        'azure-gpt-4o-eu': { down: true },
      },
    };
    const changed = await measured(sample =>
      service.replay({ ...range, change }, { onProgress: sample }),
    );
    const u = unchanged.value as ReplayResult;
    const c = changed.value as ReplayResult;
    const results = [
      summary('scan (baseline)', scan.value as number, scan),
      summary('replay, unchanged state', u.decisions.read, unchanged),
      summary('replay, proposed change', c.decisions.read, changed),
    ];
    const report = {
      decisions: Number(stored),
      loadAverage: os.loadavg().map(l => Math.round(l * 10) / 10),
      cpus: os.cpus().length,
      results,
      replayToScanRatio: {
        unchanged: Math.round((unchanged.seconds / scan.seconds) * 100) / 100,
        change: Math.round((changed.seconds / scan.seconds) * 100) / 100,
      },
      determinism: u.determinism && {
        compared: u.determinism.compared,
        reproduced: u.determinism.reproduced,
        share: u.determinism.share,
        byCause: u.determinism.byCause,
      },
      change: {
        recordedUsd: c.cost.recordedUsd,
        proposedUsd: c.cost.proposedUsd,
        changedRoutes: c.changedRoutes.count,
        refusals: c.refusals.proposed.map(r => `${r.reason}: ${r.count}`),
      },
      targetSeconds: TARGET_S,
      met: unchanged.seconds <= TARGET_S && changed.seconds <= TARGET_S,
    };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    for (const r of results) {
      log(
        `${r.name.padEnd(26)} ${String(r.decisions).padStart(
          8,
        )} decisions  ${r.seconds.toFixed(2).padStart(6)} s  ${String(
          r.decisionsPerSecond,
        ).padStart(8)}/s  peak RSS ${r.peakRssMb} MiB, heap ${
          r.peakHeapMb
        } MiB`,
      );
    }
    log(`load average ${report.loadAverage.join(' ')} on ${report.cpus} CPUs`);
    log(
      `replay / scan: ${report.replayToScanRatio.unchanged}x unchanged, ${
        report.replayToScanRatio.change
      }x with a change; target <= ${TARGET_S} s: ${
        report.met ? 'met' : 'NOT met'
      }`,
    );
  } finally {
    await db.destroy();
    if (!KEEP) {
      const admin = createKnex({ client: 'pg', connection: PG_URL });
      await admin.raw(`DROP DATABASE IF EXISTS ${DATABASE}`);
      await admin.destroy();
    }
  }
}

main().catch(error => {
  log(`replay benchmark failed: ${error.stack ?? error}`);
  process.exit(1);
});
