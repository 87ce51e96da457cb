import { applyDatabaseMigrations, MIGRATION_CONFIG } from './migrations';
import { HISTOGRAM_BUCKET_COUNT } from '../services/rollups/histogram';
import { createTestDatabases } from '@cellport/plugin-platform-node-test-utils';

jest.setTimeout(60_000);

describe('migrations', () => {
  const databases = createTestDatabases();

  it.each(databases.eachSupportedId())(
    'migrates up, is idempotent, and migrates down, on %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      await applyDatabaseMigrations(knex);
      await applyDatabaseMigrations(knex);

      for (const table of [
        'platform_routing_decisions',
        'platform_usage_events',
        'platform_rollups_minute',
        'platform_rollups_hour',
        'platform_rollups_day',
        'platform_cell_runtime',
        'platform_deploy_audit',
        'platform_api_key_reveals',
        'platform_api_keys',
        'platform_api_key_rotations',
        'platform_api_key_issues',
        'platform_api_key_adoption',
        'platform_replay_jobs',
        'platform_alerts',
        'platform_budget_notifications',
      ]) {
        expect(await knex.schema.hasTable(table)).toBe(true);
      }
      // The migration's bucket count must match the histogram's bounds.
      expect(
        await knex.schema.hasColumn(
          'platform_rollups_minute',
          `h_overhead_${HISTOGRAM_BUCKET_COUNT - 1}`,
        ),
      ).toBe(true);
      expect(
        await knex.schema.hasColumn(
          'platform_rollups_minute',
          `h_overhead_${HISTOGRAM_BUCKET_COUNT}`,
        ),
      ).toBe(false);

      await knex.migrate.rollback(MIGRATION_CONFIG, true);
      expect(await knex.schema.hasTable('platform_usage_events')).toBe(false);
    },
  );
});
