import { TestDatabases } from '@backstage/backend-test-utils';

/**
 * Every storage test of the platform's plugins runs on PostgreSQL and SQLite. PostgreSQL comes
 * from BACKSTAGE_TEST_DATABASE_POSTGRES16_CONNECTION_STRING (127.0.0.1:5432 on the build
 * machines); without it the test fails rather than silently covering SQLite only.
 */
export function createTestDatabases(): TestDatabases {
  if (!process.env.BACKSTAGE_TEST_DATABASE_POSTGRES16_CONNECTION_STRING) {
    throw new Error(
      'Set BACKSTAGE_TEST_DATABASE_POSTGRES16_CONNECTION_STRING=postgresql://postgres@127.0.0.1:5432 to run the storage tests on PostgreSQL',
    );
  }
  return TestDatabases.create({
    ids: ['POSTGRES_16', 'SQLITE_3'],
    disableDocker: true,
  });
}
