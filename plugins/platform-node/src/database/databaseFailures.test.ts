import {
  closedPort,
  createTestDatabases,
  postgresThroughLink,
} from '@cellport/plugin-platform-node-test-utils';
import knexFactory, { Knex } from 'knex';
import { databaseUnavailable, refusesData } from './databaseFailures';

jest.setTimeout(60_000);

/** The error a statement fails with. */
async function failureOf(statement: Promise<unknown>): Promise<unknown> {
  return statement.then(
    result => {
      throw new Error(`the statement did not fail: ${result}`);
    },
    error => error,
  );
}

function quietPostgres(connection: Knex.PgConnectionConfig, extra = {}) {
  return knexFactory({
    client: 'pg',
    connection,
    acquireConnectionTimeout: 1_000,
    log: { warn() {}, error() {}, debug() {}, deprecate() {} },
    ...extra,
  });
}

/** Each failure as the drivers really raise it: what it means for a retry. */
describe('databaseUnavailable', () => {
  const databases = createTestDatabases();

  it('holds for what PostgreSQL raises when it cannot answer now, and not for a refused statement', async () => {
    const direct = await databases.init('POSTGRES_16');
    const connection = direct.client.config
      .connection as Knex.PgConnectionConfig;
    const refused = quietPostgres({
      ...connection,
      host: '127.0.0.1',
      port: await closedPort(),
    });
    const oneConnection = quietPostgres(connection, {
      pool: { min: 0, max: 1 },
    });
    const linked = await postgresThroughLink(direct);
    try {
      const sleeping = (knex: Knex, marker: string) =>
        failureOf(knex.raw(`select pg_sleep(10) as ${marker}`));
      const whenRunning = async (marker: string) => {
        for (;;) {
          const { rows } = await direct.raw(
            `select count(*)::int as n from pg_stat_activity where query like ?`,
            [`%as ${marker}`],
          );
          if (rows[0].n > 0) return;
          await new Promise(resolve => setTimeout(resolve, 20));
        }
      };
      const terminated = sleeping(direct, 'terminated_here');
      const cut = sleeping(linked.knex, 'cut_here');
      await Promise.all([
        whenRunning('terminated_here'),
        whenRunning('cut_here'),
      ]);
      await direct.raw(
        `select pg_terminate_backend(pid) from pg_stat_activity
         where query like '%as terminated_here' and pid <> pg_backend_pid()`,
      );
      await linked.link.cut();
      // then() runs it now: knex starts a statement only when it is awaited.
      const busy = oneConnection.raw('select pg_sleep(2) as busy_here').then();
      await whenRunning('busy_here');
      await direct.schema.createTable('short_values', table =>
        table.string('value', 2),
      );
      const failures = {
        refused: await failureOf(refused.raw('select 1')),
        terminated: await terminated,
        cut: await cut,
        noFreeConnection: await failureOf(oneConnection.raw('select 1')),
        missingTable: await failureOf(direct.raw('select * from nowhere')),
        valueTooLong: await failureOf(
          direct('short_values').insert({ value: 'abc' }),
        ),
      };
      await busy;
      expect(
        Object.fromEntries(
          Object.entries(failures).map(([what, error]) => [
            what,
            {
              unavailable: databaseUnavailable(error),
              refusesData: refusesData(error),
            },
          ]),
        ),
      ).toEqual({
        refused: { unavailable: true, refusesData: false },
        terminated: { unavailable: true, refusesData: false },
        cut: { unavailable: true, refusesData: false },
        noFreeConnection: { unavailable: true, refusesData: false },
        missingTable: { unavailable: false, refusesData: false },
        valueTooLong: { unavailable: false, refusesData: true },
      });
    } finally {
      await Promise.all([
        refused.destroy(),
        oneConnection.destroy(),
        linked.close(),
      ]);
    }
  });

  it('holds for a locked SQLite file, and not for a missing table or a fault of the code', async () => {
    const knex = await databases.init('SQLITE_3');
    const missingTable = await failureOf(knex.raw('select * from nowhere'));
    expect({
      locked: databaseUnavailable({
        code: 'SQLITE_BUSY',
        message: 'database is locked',
      }),
      missingTable: databaseUnavailable(missingTable),
      typeError: databaseUnavailable(new TypeError('x is undefined')),
    }).toEqual({ locked: true, missingTable: false, typeError: false });
  });
});
