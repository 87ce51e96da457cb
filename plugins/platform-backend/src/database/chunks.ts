/**
 * SQLite allows at most 500 rows in a multi-row insert (knex writes it as a compound SELECT)
 * and 32766 bound values; PostgreSQL 65535 values. Chunks stay under both.
 */
export function insertChunkSize(columnCount: number): number {
  return Math.max(1, Math.min(500, Math.floor(30_000 / columnCount)));
}

export function chunk<T>(items: T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) {
    chunks.push(items.slice(i, i + size));
  }
  return chunks;
}
