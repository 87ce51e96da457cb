import { DatabaseService } from '@backstage/backend-plugin-api';
import { Knex } from 'knex';
import { applyDatabaseMigrations } from './migrations';
import { tuneSqlite } from './sqliteTuning';

/** The plugin's database, migrated (unless the backend skips migrations) and tuned. */
export async function openDatabase(database: DatabaseService): Promise<Knex> {
  const db = await database.getClient();
  if (!database.migrations?.skip) {
    await applyDatabaseMigrations(db);
  }
  await tuneSqlite(db);
  return db;
}
