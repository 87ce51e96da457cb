import { createTestDatabases } from '@cellport/plugin-platform-node-test-utils';
import { Knex } from 'knex';
import { CopyOut, PgClient } from './CopyOut';

describe('CopyOut', () => {
  const databases = createTestDatabases();
  let knex: Knex;
  let client: PgClient & { query(text: string): Promise<{ rows: any[] }> };

  beforeAll(async () => {
    knex = await databases.init('POSTGRES_16');
  });

  beforeEach(async () => {
    client = await knex.client.acquireConnection();
  });

  afterEach(async () => {
    await knex.client.releaseConnection(client);
  });

  it('hands over each row as COPY text', async () => {
    const rows: string[] = [];
    const copy = new CopyOut(
      `COPY (SELECT n, CASE WHEN n = 2 THEN NULL ELSE E'a\\tb' END FROM generate_series(1, 3) n) TO STDOUT`,
      row => rows.push(row.toString('utf8')),
    );
    client.query(copy);
    await copy.done;
    expect(rows).toEqual(['1\ta\\tb\n', '2\t\\N\n', '3\ta\\tb\n']);
  });

  it("rejects with the server's error, and the connection serves the next query", async () => {
    const copy = new CopyOut(
      'COPY (SELECT 1 / (n - 2) FROM generate_series(1, 3) n) TO STDOUT',
      () => {},
    );
    client.query(copy);
    await expect(copy.done).rejects.toThrow('division by zero');
    expect((await client.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
  });

  it('rejects when a row cannot be read, and the connection serves the next query', async () => {
    const copy = new CopyOut(
      'COPY (SELECT n FROM generate_series(1, 1000) n) TO STDOUT',
      row => {
        if (row.toString() === '500\n')
          throw new Error('row 500 is unreadable');
      },
    );
    client.query(copy);
    await expect(copy.done).rejects.toThrow('row 500 is unreadable');
    expect((await client.query('SELECT 2 AS two')).rows).toEqual([{ two: 2 }]);
  });
});
