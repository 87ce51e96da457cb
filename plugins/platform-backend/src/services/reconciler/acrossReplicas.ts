import { Knex } from 'knex';

/**
 * Runs `work` while no other backend replica runs it for the same cell: a PostgreSQL
 * advisory lock held by a transaction of its own, so `work` may use the pool as it likes.
 * Without it, a pass on one replica that computed its state before a key rotation on another
 * could push after the rotation's push, and the new key would stop working until the next
 * pass. SQLite serves one backend process, whose own queue already orders its pushes.
 */
export async function acrossReplicas<T>(
  db: Knex,
  cell: string,
  work: () => Promise<T>,
): Promise<T> {
  if (db.client.config.client === 'better-sqlite3') return work();
  return db.transaction(async lock => {
    await lock.raw('select pg_advisory_xact_lock(hashtext(?))', [
      `cellport.reconcile.${cell}`,
    ]);
    return work();
  });
}
