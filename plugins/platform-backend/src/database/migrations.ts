import { resolvePackagePath } from '@backstage/backend-plugin-api';
import { Knex } from 'knex';

/** Where the dated migrations live and the table knex records them in. */
export const MIGRATION_CONFIG = {
  directory: resolvePackagePath(
    '@cellport/plugin-platform-backend',
    'migrations',
  ),
  tableName: 'platform_knex_migrations',
};

/** Brings the platform database up to the newest dated migration under `migrations/`. */
export async function applyDatabaseMigrations(knex: Knex): Promise<void> {
  await knex.migrate.latest(MIGRATION_CONFIG);
}

/** True when the connection is PostgreSQL, where a few statements differ from SQLite. */
export function isPostgres(knex: Knex): boolean {
  const client = knex.client.config.client;
  return client === 'pg' || client === 'postgres' || client === 'postgresql';
}
