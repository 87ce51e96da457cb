import { Knex } from 'knex';
import { chunk, insertChunkSize } from './chunks';
import { isPostgres } from './migrations';

/** SQL type of a column, as bulk writes bind it. */
export type ColumnType = 'text' | 'bigint' | 'integer' | 'boolean' | 'double';

export interface ColumnSpec {
  name: string;
  type: ColumnType;
}

type Row = Record<string, unknown>;

const PG_TYPES: Record<ColumnType, string> = {
  text: 'text',
  bigint: 'bigint',
  integer: 'integer',
  boolean: 'boolean',
  double: 'double precision',
};

/** Rows per PostgreSQL statement (the rows travel as one JSON parameter). */
const PG_ROWS_PER_STATEMENT = 5000;

/*
 * Ingest writes thousands of rows per batch. Built as multi-row INSERTs by knex, that costs
 * more than the database work, so the two databases get their fastest safe forms instead:
 * SQLite one prepared statement run per row (better-sqlite3 is synchronous, and a statement's
 * `changes` says whether the row was new), PostgreSQL one statement per table fed by
 * `json_to_recordset` over the rows sent as one JSON parameter. Other clients fall back to knex. Every path runs on
 * the caller's transaction connection, so it commits or rolls back with the rest.
 */

function isBetterSqlite(trx: Knex.Transaction): boolean {
  return trx.client.config.client === 'better-sqlite3';
}

interface SqliteStatement {
  run(...values: unknown[]): { changes: number };
}
interface SqliteDatabase {
  prepare(sql: string): SqliteStatement;
}
interface PgConnection {
  query(sql: string, values: unknown[]): Promise<{ rows: Row[] }>;
}

const statements = new WeakMap<object, Map<string, SqliteStatement>>();

function prepare(db: SqliteDatabase, sql: string): SqliteStatement {
  let cache = statements.get(db);
  if (!cache) {
    cache = new Map();
    statements.set(db, cache);
  }
  let statement = cache.get(sql);
  if (!statement) {
    statement = db.prepare(sql);
    cache.set(sql, statement);
  }
  return statement;
}

function sqliteValue(value: unknown): unknown {
  if (value === undefined) return null;
  if (typeof value === 'boolean') return value ? 1 : 0;
  return value;
}

/**
 * The rows of a JSON parameter as a PostgreSQL relation: one text parameter, parsed by the
 * server in one go, instead of thousands of bound values.
 */
function recordset(columns: ColumnSpec[]): string {
  const definition = columns
    .map(c => `${quote(c.name)} ${PG_TYPES[c.type]}`)
    .join(', ');
  return `json_to_recordset($1::json) AS input(${definition})`;
}

function byId(a: Row, b: Row): number {
  const left = a.id as string;
  const right = b.id as string;
  if (left === right) return 0;
  return left < right ? -1 : 1;
}

function quote(name: string): string {
  return `"${name}"`;
}

/**
 * Inserts rows whose `id` is not taken yet, in the caller's transaction, and returns the ids
 * that were inserted: the events seen for the first time. Rows go in id order: two
 * transactions inserting the same ids (replicas redelivering one batch) then take their
 * locks in the same order and wait for each other, where any other order can deadlock.
 */
export async function insertNewRows(
  trx: Knex.Transaction,
  table: string,
  columns: ColumnSpec[],
  unordered: Row[],
): Promise<Set<string>> {
  const inserted = new Set<string>();
  if (unordered.length === 0) return inserted;
  const rows = [...unordered].sort(byId);
  const names = columns.map(c => quote(c.name)).join(', ');

  if (isBetterSqlite(trx)) {
    const db = (await trx.client.acquireConnection()) as SqliteDatabase;
    const statement = prepare(
      db,
      `INSERT INTO ${quote(table)} (${names}) VALUES (${columns
        .map(() => '?')
        .join(', ')}) ON CONFLICT (id) DO NOTHING`,
    );
    for (const row of rows) {
      const values = columns.map(c => sqliteValue(row[c.name]));
      if (statement.run(...values).changes > 0) inserted.add(row.id as string);
    }
    return inserted;
  }

  if (isPostgres(trx)) {
    const connection = (await trx.client.acquireConnection()) as PgConnection;
    const sql = `INSERT INTO ${quote(
      table,
    )} (${names}) SELECT ${names} FROM ${recordset(
      columns,
    )} ON CONFLICT (id) DO NOTHING RETURNING id`;
    for (const part of chunk(rows, PG_ROWS_PER_STATEMENT)) {
      const result = await connection.query(sql, [JSON.stringify(part)]);
      for (const { id } of result.rows) inserted.add(id as string);
    }
    return inserted;
  }

  for (const part of chunk(rows, insertChunkSize(columns.length))) {
    const result: Array<{ id: string }> = await trx(table)
      .insert(part)
      .onConflict('id')
      .ignore()
      .returning('id');
    for (const { id } of result) inserted.add(id);
  }
  return inserted;
}

/**
 * Adds rows into a table of sums: a row whose key is new is inserted, otherwise its sums are
 * added to the stored ones (`x = x + excluded.x`), atomically per row on both databases.
 * Keys must be unique within `rows`.
 */
export async function upsertAddRows(
  trx: Knex.Transaction,
  table: string,
  keys: ColumnSpec[],
  sums: ColumnSpec[],
  rows: Row[],
): Promise<void> {
  if (rows.length === 0) return;
  const conflict = keys.map(k => quote(k.name)).join(', ');

  if (isBetterSqlite(trx)) {
    const db = (await trx.client.acquireConnection()) as SqliteDatabase;
    const columns = [...keys, ...sums];
    const statement = prepare(
      db,
      `INSERT INTO ${quote(table)} (${columns
        .map(c => quote(c.name))
        .join(', ')}) VALUES (${columns
        .map(() => '?')
        .join(', ')}) ON CONFLICT (${conflict}) DO UPDATE SET ${sums
        .map(
          s =>
            `${quote(s.name)} = ${quote(s.name)} + excluded.${quote(s.name)}`,
        )
        .join(', ')}`,
    );
    for (const row of rows) {
      statement.run(
        ...columns.map(c =>
          sqliteValue(row[c.name] ?? (c.type === 'text' ? null : 0)),
        ),
      );
    }
    return;
  }

  // Only the sums some row touches: most histogram buckets are zero.
  const used = sums.filter(s => rows.some(row => row[s.name]));
  const columns = [...keys, ...used];
  const valueOf = (row: Row, column: ColumnSpec) => row[column.name] ?? 0;

  if (isPostgres(trx)) {
    const connection = (await trx.client.acquireConnection()) as PgConnection;
    const names = columns.map(c => quote(c.name)).join(', ');
    // Rows travel as they are, absent sums included: the SELECT reads those as 0, which saves
    // building a full copy of every row (ingest's hottest allocation).
    const selected = [
      ...keys.map(k => quote(k.name)),
      ...used.map(s => `COALESCE(${quote(s.name)}, 0)`),
    ].join(', ');
    const updates = used
      .map(
        s =>
          `${quote(s.name)} = ${quote(table)}.${quote(
            s.name,
          )} + excluded.${quote(s.name)}`,
      )
      .join(', ');
    const action = updates ? `DO UPDATE SET ${updates}` : 'DO NOTHING';
    const sql = `INSERT INTO ${quote(
      table,
    )} (${names}) SELECT ${selected} FROM ${recordset(
      columns,
    )} ON CONFLICT (${conflict}) ${action}`;
    for (const part of chunk(rows, PG_ROWS_PER_STATEMENT)) {
      await connection.query(sql, [JSON.stringify(part)]);
    }
    return;
  }

  for (const part of chunk(rows, insertChunkSize(columns.length))) {
    await trx(table)
      .insert(
        part.map(row =>
          Object.fromEntries(columns.map(c => [c.name, valueOf(row, c)])),
        ),
      )
      .onConflict(keys.map(k => k.name))
      .merge(
        Object.fromEntries(
          used.map(s => [
            s.name,
            trx.raw('?? + excluded.??', [`${table}.${s.name}`, s.name]),
          ]),
        ),
      );
  }
}
