import { Knex } from 'knex';

interface BetterSqliteConnection {
  pragma(source: string): unknown;
  memory?: boolean;
}

const PER_CONNECTION = [
  // WAL: dashboards read while ingest writes. NORMAL is durable across process crashes in
  // WAL mode (only an OS crash can lose the last commits); production runs on PostgreSQL.
  'synchronous = NORMAL',
  // 64 MB of page cache instead of 2 MB: the raw tables' indexes are large.
  'cache_size = -65536',
];

function tune(connection: BetterSqliteConnection) {
  if (!connection.memory) connection.pragma('journal_mode = WAL');
  for (const pragma of PER_CONNECTION) connection.pragma(pragma);
}

/**
 * Tunes the platform's own SQLite file for its write-heavy load: the current connection now,
 * and any the pool opens later. Does nothing on other databases.
 */
export async function tuneSqlite(knex: Knex): Promise<void> {
  if (knex.client.config.client !== 'better-sqlite3') return;
  const connection =
    (await knex.client.acquireConnection()) as BetterSqliteConnection;
  try {
    tune(connection);
  } finally {
    await knex.client.releaseConnection(connection);
  }
  knex.client.pool?.on(
    'createSuccess',
    (_id: unknown, created: BetterSqliteConnection) => tune(created),
  );
}
