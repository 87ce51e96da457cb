import { RoutingDecision, UsageEvent } from '@cellport/plugin-platform-common';
import { bucketIndex, histogramColumn, HistogramMetric } from './histogram';
import {
  errorClassColumn,
  Granularity,
  GRANULARITY_MINUTES,
  KEY_COLUMNS,
  RollupRow,
} from './rollupSchema';

const MINUTE_MS = 60_000;
const KEY_COLUMN_SET: ReadonlySet<string> = new Set(KEY_COLUMNS);

/**
 * Adds events up into rollup rows in memory, one row per bucket and dimensions, so that a
 * batch of thousands of events becomes a few upserts. Only events that were newly stored are
 * added, which is what keeps replays from being counted twice.
 */
export class RollupAccumulator {
  private readonly rows = new Map<string, RollupRow>();

  addUsage(event: UsageEvent, demo: boolean): void {
    const row = this.row(event, event.modelProfile, demo);
    add(row, 'requests', 1);
    if (event.cached) add(row, 'cached', 1);
    add(row, 'input_tokens', event.inputTokens);
    add(row, 'output_tokens', event.outputTokens);
    add(row, 'cost_usd', event.costUsd);
    if (event.errorClass) add(row, errorClassColumn(event.errorClass), 1);
    addLatency(row, 'overhead', event.gatewayOverheadMs);
    addLatency(row, 'upstream', event.upstreamLatencyMs);
    addLatency(row, 'ttft', event.timeToFirstTokenMs);
  }

  addDecision(decision: RoutingDecision, demo: boolean): void {
    const row = this.row(decision, decision.chosen, demo);
    add(row, 'decisions', 1);
    if (decision.fallbacks.length > 0) add(row, 'fallbacks', 1);
    addLatency(row, 'router', decision.routerDecisionMs);
  }

  get size(): number {
    return this.rows.size;
  }

  /**
   * The rows at a granularity, sorted by key so that concurrent writers upsert in the same
   * order and cannot deadlock each other on PostgreSQL.
   */
  rowsAt(granularity: Granularity): RollupRow[] {
    const width = GRANULARITY_MINUTES[granularity];
    if (width === 1) return sortedByKey(this.rows);
    const merged = new Map<string, RollupRow>();
    for (const row of this.rows.values()) {
      const bucket = Math.floor(row.bucket / width) * width;
      const key = rowKey(row, bucket);
      const target = merged.get(key);
      if (!target) {
        merged.set(key, { ...row, bucket });
        continue;
      }
      // for…in over the row's own columns: ingest runs this for every row of every batch,
      // and most of a row's ~70 sum columns are absent.
      for (const column in row) {
        if (!KEY_COLUMN_SET.has(column)) {
          add(target, column, row[column] as number);
        }
      }
    }
    return sortedByKey(merged);
  }

  private row(
    event: RoutingDecision | UsageEvent,
    modelProfile: string | undefined,
    demo: boolean,
  ): RollupRow {
    const key: RollupRow = {
      bucket: Math.floor(Date.parse(event.timestamp) / MINUTE_MS),
      cell: event.cell,
      tenant: event.tenant,
      agent: event.agent ?? '',
      model_profile: modelProfile ?? '',
      outcome: event.outcome,
      demo: demo ? 1 : 0,
    };
    const id = rowKey(key);
    let row = this.rows.get(id);
    if (!row) {
      row = key;
      this.rows.set(id, row);
    }
    return row;
  }
}

function rowKey(row: RollupRow, bucket = row.bucket): string {
  // Bucket zero-padded so the string order is the numeric order.
  return `${String(bucket).padStart(12, '0')}\u0000${row.cell}\u0000${
    row.tenant
  }\u0000${row.agent}\u0000${row.model_profile}\u0000${row.outcome}\u0000${
    row.demo
  }`;
}

function sortedByKey(rows: Map<string, RollupRow>): RollupRow[] {
  return [...rows.keys()].sort(compareStrings).map(key => rows.get(key)!);
}

function add(row: RollupRow, column: string, value: number): void {
  row[column] = ((row[column] as number | undefined) ?? 0) + value;
}

function addLatency(row: RollupRow, metric: HistogramMetric, ms?: number) {
  if (ms === undefined) return;
  add(row, histogramColumn(metric, bucketIndex(ms)), 1);
}

/** Code-unit order, the same on every machine (unlike localeCompare). */
function compareStrings(a: string, b: string): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}
