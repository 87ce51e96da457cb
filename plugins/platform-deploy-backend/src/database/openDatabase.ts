import {
  DatabaseService,
  resolvePackagePath,
} from '@backstage/backend-plugin-api';
import { Knex } from 'knex';

/** Where the dated migrations live and the table knex records them in. */
export const MIGRATION_CONFIG = {
  directory: resolvePackagePath(
    '@cellport/plugin-platform-deploy-backend',
    'migrations',
  ),
  tableName: 'platform_deploy_knex_migrations',
};

/** Brings the deploy driver's database up to the newest dated migration under `migrations/`. */
export async function applyDatabaseMigrations(knex: Knex): Promise<void> {
  await knex.migrate.latest(MIGRATION_CONFIG);
}

/** The plugin's database, migrated unless the backend skips migrations. */
export async function openDatabase(database: DatabaseService): Promise<Knex> {
  const db = await database.getClient();
  if (!database.migrations?.skip) await applyDatabaseMigrations(db);
  return db;
}
