import { Knex } from 'knex';
import { ColumnSpec, upsertAddRows } from '../../database/bulkWrite';
import { RollupAccumulator } from './RollupAccumulator';
import {
  Granularity,
  KEY_COLUMNS,
  ROLLUP_TABLES,
  SUM_COLUMNS,
} from './rollupSchema';

const GRANULARITIES: Granularity[] = ['minute', 'hour', 'day'];

const KEY_SPECS: ColumnSpec[] = KEY_COLUMNS.map(name => ({
  name,
  type: name === 'bucket' || name === 'demo' ? 'integer' : 'text',
}));

const SUM_SPECS: ColumnSpec[] = SUM_COLUMNS.map(name => ({
  name,
  type: sumType(name),
}));

/**
 * Adds accumulated sums into the minute, hour and day rollup tables with
 * `INSERT … ON CONFLICT DO UPDATE SET x = x + excluded.x`, which both databases run
 * atomically per row. Called inside the transaction that stored the raw events, so a batch
 * is counted exactly when it is stored. Rows come sorted by key, so concurrent batches lock
 * rows in the same order and cannot deadlock on PostgreSQL.
 */
export async function writeRollups(
  trx: Knex.Transaction,
  accumulator: RollupAccumulator,
): Promise<void> {
  for (const granularity of GRANULARITIES) {
    await upsertAddRows(
      trx,
      ROLLUP_TABLES[granularity],
      KEY_SPECS,
      SUM_SPECS,
      accumulator.rowsAt(granularity),
    );
  }
}

function sumType(column: string): ColumnSpec['type'] {
  if (column === 'cost_usd') return 'double';
  if (column.endsWith('_tokens')) return 'bigint';
  return 'integer';
}
