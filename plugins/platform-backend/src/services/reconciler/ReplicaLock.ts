import { Knex } from 'knex';
import { isPostgres } from '../../database/migrations';

/**
 * Runs reconciles of a cell while no other backend replica runs one for it: a PostgreSQL
 * advisory lock held by a transaction of its own. Without it, a pass on one replica that
 * computed its state before a key rotation on another could push after the rotation's push,
 * and the new key would stop working until the next pass. SQLite serves one backend process,
 * whose own queue already orders its pushes.
 */
export class ReplicaLock {
  /**
   * One locked reconcile at a time in this process as well: the lock's transaction holds a
   * pooled connection while the reconcile takes another, so many cells reconciled at once
   * could hold every connection, each waiting for a second one.
   */
  private queue: Promise<unknown> = Promise.resolve();

  /** `waitMs`: the longest wait for another replica's reconcile (its push's timeouts). */
  constructor(private readonly db: Knex, private readonly waitMs: number) {}

  run<T>(cell: string, work: () => Promise<T>): Promise<T> {
    if (!isPostgres(this.db)) return work();
    const run = this.queue.then(() => this.locked(cell, work));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private locked<T>(cell: string, work: () => Promise<T>): Promise<T> {
    return this.db.transaction(async lock => {
      // A replica whose push hangs, or whose connection is half dead, delays the others by
      // this much at most, then their reconcile fails and the next pass tries again.
      await lock.raw(`set local lock_timeout = ${Math.ceil(this.waitMs)}`);
      await lock.raw('select pg_advisory_xact_lock(hashtext(?))', [
        `cellport.reconcile.${cell}`,
      ]);
      return work();
    });
  }

  /**
   * Now by the database's clock: replicas read the catalog at times compared with each
   * other's, and their own clocks may disagree by more than a catalog change takes.
   */
  async now(fallback: () => number): Promise<number> {
    if (!isPostgres(this.db)) return fallback();
    const { rows } = await this.db.raw(
      'select (extract(epoch from clock_timestamp()) * 1000)::bigint as now',
    );
    return Number(rows[0].now);
  }

  /** `column` = the larger of its value and `value` (a time that must not go back). */
  atLeast(column: string, value: number): Knex.Raw {
    const larger = isPostgres(this.db) ? 'greatest' : 'max';
    return this.db.raw(`${larger}(coalesce(??, 0), ?)`, [column, value]);
  }
}
