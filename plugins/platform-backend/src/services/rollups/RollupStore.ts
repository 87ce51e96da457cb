import { Config } from '@backstage/config';
import { Knex } from 'knex';
import { readPlatformSettings } from '../../config/platformSettings';
import {
  Granularity,
  GRANULARITY_MINUTES,
  ROLLUP_TABLES,
  SUM_COLUMNS,
} from './rollupSchema';
import {
  BucketRange,
  countedBuckets,
  decomposeRange,
  MINUTE_MS,
  rollupsKept,
  TimeRange,
} from './timeRanges';
import {
  addRow,
  addSummaries,
  emptySummary,
  TrafficSummary,
} from './TrafficSummary';
import { Clock } from '@cellport/plugin-platform-node';

/** Which requests a rollup read covers. Every field narrows it; none means everything. */
export interface RollupFilter {
  cell?: string;
  tenant?: string;
  agent?: string;
  modelProfile?: string;
  /** Only these tenants, e.g. the ones the caller may see. An empty list matches nothing. */
  tenants?: string[];
  /** Leave out backfilled demo history. */
  excludeDemo?: boolean;
}

/** A dimension rollups can be grouped by. */
export type RollupDimension = 'cell' | 'tenant' | 'agent' | 'model_profile';

/** One bucket of a series, or one group of a breakdown. */
export interface SummaryPoint {
  /** Bucket start in epoch milliseconds (series only). */
  bucket?: number;
  /** Value of the grouped dimension ('' for requests without one). */
  key?: string;
  summary: TrafficSummary;
}

export interface RollupStoreOptions {
  clock: Clock;
  /** How long minute rollups are kept; older ranges are read at hour resolution. */
  minuteRetentionDays: number;
  /** How long hour rollups are kept (default 400); older ranges are read by the day. */
  hourRetentionDays?: number;
}

/** Reads the rollups: totals over a range, breakdowns by a dimension and time series. */
export class RollupStore {
  /** `platform.retention.minuteRollupDays`: how far back minute resolution reaches. */
  static fromConfig(config: Config, db: Knex, clock: Clock): RollupStore {
    const { retention } = readPlatformSettings(config);
    return new RollupStore(db, {
      clock,
      minuteRetentionDays: retention.minuteRollupDays,
      hourRetentionDays: retention.hourRollupDays,
    });
  }

  constructor(
    private readonly db: Knex,
    private readonly options: RollupStoreOptions,
  ) {}

  /**
   * Totals over a range, read from the coarsest rollups that cover it exactly. Every read ends
   * at now at the latest (see `bucketsOf`).
   */
  async summarize(
    range: TimeRange,
    filter: RollupFilter,
    columns: readonly string[] = SUM_COLUMNS,
  ): Promise<TrafficSummary> {
    const [total] = await this.breakdown(range, filter, undefined, columns);
    return total?.summary ?? emptySummary();
  }

  /** Totals over a range per value of a dimension (or one total without one). */
  async breakdown(
    range: TimeRange,
    filter: RollupFilter,
    groupBy?: RollupDimension,
    columns: readonly string[] = SUM_COLUMNS,
  ): Promise<SummaryPoint[]> {
    const groups = new Map<string, TrafficSummary>();
    const rows = await this.rowsOver(
      this.bucketsOf(range),
      filter,
      groupBy ? [groupBy] : [],
      columns,
    );
    for (const row of rows) {
      const key = groupBy ? String(row[groupBy]) : '';
      const summary = groups.get(key) ?? emptySummary();
      groups.set(key, addRow(summary, row));
    }
    if (!groupBy && groups.size === 0) return [{ summary: emptySummary() }];
    return [...groups.entries()].map(([key, summary]) =>
      groupBy ? { key, summary } : { summary },
    );
  }

  /**
   * Totals per bucket of one granularity, optionally per value of a dimension too. The buckets
   * at the range's edges count only their part inside it, read from finer rollups, so that the
   * series adds up to `breakdown` of the same range.
   */
  async series(
    range: TimeRange,
    granularity: Granularity,
    filter: RollupFilter,
    groupBy?: RollupDimension,
    columns: readonly string[] = SUM_COLUMNS,
  ): Promise<SummaryPoint[]> {
    const { from: first, to: end } = this.bucketsOf(range);
    // An empty range (or one that has not begun) reads nothing.
    if (end <= first) return [];
    const width = GRANULARITY_MINUTES[granularity];
    const wholeFrom = Math.min(Math.ceil(first / width) * width, end);
    const wholeTo = Math.max(Math.floor(end / width) * width, wholeFrom);
    const dimensions = groupBy ? [groupBy] : [];
    const edge = async (
      edgeFrom: number,
      edgeTo: number,
    ): Promise<Record<string, unknown>[]> => {
      if (edgeTo <= edgeFrom) return [];
      const rows = await this.rowsOver(
        { from: edgeFrom, to: edgeTo },
        filter,
        dimensions,
        columns,
      );
      const bucket = Math.floor(edgeFrom / width) * width;
      return rows.map(row => ({ ...row, bucket }));
    };
    const parts = await Promise.all([
      edge(first, wholeFrom),
      wholeFrom < wholeTo
        ? this.query(
            granularity,
            wholeFrom,
            wholeTo,
            filter,
            ['bucket', ...dimensions],
            columns,
          )
        : [],
      edge(wholeTo, end),
    ]);
    const points = new Map<string, SummaryPoint>();
    for (const row of parts.flat()) {
      const bucket = Number(row.bucket) * MINUTE_MS;
      const key = groupBy ? String(row[groupBy]) : undefined;
      const id = `${bucket}\u0000${key ?? ''}`;
      const point = points.get(id) ?? { bucket, key, summary: emptySummary() };
      addRow(point.summary, row);
      points.set(id, point);
    }
    return [...points.values()].sort((a, b) => a.bucket! - b.bucket!);
  }

  /**
   * The buckets a range counts (`countedBuckets`), cut at now: an event stamped later (a
   * gateway whose clock runs ahead) counts once its time comes, in every figure alike; the
   * minute holding now counts whole.
   */
  private bucketsOf(range: TimeRange): BucketRange {
    const now = this.options.clock.now();
    return countedBuckets(
      { from: range.from, to: Math.min(range.to, now) },
      rollupsKept(now, {
        minuteDays: this.options.minuteRetentionDays,
        hourDays: this.options.hourRetentionDays ?? 400,
      }),
    );
  }

  /** The rows of some buckets, read from the coarsest rollups that cover them exactly. */
  private async rowsOver(
    buckets: BucketRange,
    filter: RollupFilter,
    groupBy: string[],
    columns: readonly string[],
  ): Promise<Record<string, unknown>[]> {
    // Segments read different tables; PostgreSQL answers them on parallel connections.
    const segmentRows = await Promise.all(
      decomposeRange(buckets).map(segment =>
        this.query(
          segment.granularity,
          segment.from,
          segment.to,
          filter,
          groupBy,
          columns,
        ),
      ),
    );
    return segmentRows.flat();
  }

  private async query(
    granularity: Granularity,
    fromBucket: number,
    toBucket: number,
    filter: RollupFilter,
    groupBy: string[],
    sumColumns: readonly string[],
  ): Promise<Record<string, unknown>[]> {
    if (filter.tenants && filter.tenants.length === 0) return [];
    const columns = [...groupBy, 'outcome'];
    // Column names come from fixed lists, never from input.
    const sums = sumColumns.map(c => `sum(${c}) as ${c}`).join(', ');
    return this.db(ROLLUP_TABLES[granularity])
      .select(columns)
      .select(this.db.raw(sums))
      .where('bucket', '>=', fromBucket)
      .andWhere('bucket', '<', toBucket)
      .modify(q => applyFilter(q, filter))
      .groupBy(columns);
  }
}

function applyFilter(query: Knex.QueryBuilder, filter: RollupFilter) {
  if (filter.cell !== undefined) query.where('cell', filter.cell);
  if (filter.tenant !== undefined) query.where('tenant', filter.tenant);
  if (filter.agent !== undefined) query.where('agent', filter.agent);
  if (filter.modelProfile !== undefined) {
    query.where('model_profile', filter.modelProfile);
  }
  if (filter.tenants) query.whereIn('tenant', filter.tenants);
  if (filter.excludeDemo) query.where('demo', 0);
}

/** The sums cost reports need; reading fewer columns makes long ranges cheaper. */
export const COST_COLUMNS = [
  'requests',
  'input_tokens',
  'output_tokens',
  'cost_usd',
] as const;

/** Adds the summaries of several points into one. */
export function totalOf(points: SummaryPoint[]): TrafficSummary {
  return points.reduce(
    (sum, p) => addSummaries(sum, p.summary),
    emptySummary(),
  );
}
