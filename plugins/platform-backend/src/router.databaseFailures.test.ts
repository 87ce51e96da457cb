import { mockCredentials, TestBackend } from '@backstage/backend-test-utils';
import {
  createTestDatabases,
  postgresThroughLink,
} from '@cellport/plugin-platform-node-test-utils';
import request from 'supertest';
import { startPlatformBackend } from './__testUtils__/startPlatformBackend';

jest.setTimeout(60_000);

/**
 * What a reader is told when the platform's database fails under a request: a database that
 * cannot answer now is a 503 to retry, anything else a 500, and neither names the statement,
 * the tables, the database's address or a stack.
 */

const READ_ROUTES = [
  '/decisions',
  '/decisions/dec-1',
  '/traffic',
  '/cost/breakdown',
  '/cost/budget?tenant=northwind-retail',
  '/cost/movers',
  '/slos?cell=eu-west-shared-1',
];

/** What the database said, in any of the shapes it could reach a body. */
const DATABASE_WORDS =
  /select|platform_|ECONN|errno|syscall|127\.0\.0\.1|SQLITE|no such table|stack/i;

function read(server: TestBackend['server'], path: string) {
  return request(server)
    .get(`/api/platform${path}`)
    .set('authorization', mockCredentials.user.header());
}

describe('platform router: reads while the database fails', () => {
  const databases = createTestDatabases();

  it('answers every read 503 with Retry-After and a neutral message while PostgreSQL cannot be reached', async () => {
    const direct = await databases.init('POSTGRES_16');
    const linked = await postgresThroughLink(direct);
    try {
      const { server } = await startPlatformBackend(linked.knex);
      await linked.link.cut();
      const answers = [];
      for (const path of READ_ROUTES) {
        const answer = await read(server, path);
        answers.push({
          path,
          status: answer.status,
          retryAfter: answer.headers['retry-after'],
          name: answer.body.error?.name,
          leaks: DATABASE_WORDS.test(answer.text),
        });
      }
      expect(answers).toEqual(
        READ_ROUTES.map(path => ({
          path,
          status: 503,
          retryAfter: '5',
          name: 'ServiceUnavailableError',
          leaks: false,
        })),
      );
    } finally {
      await linked.close();
    }
  });

  it.each(databases.eachSupportedId())(
    'answers a statement the database refuses 500 without its words, on %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      const { server } = await startPlatformBackend(knex);
      // A table gone under the running backend (a bad migration, a restore of another
      // version): a fault of ours that no retry mends.
      await knex.schema.dropTable('platform_routing_decisions');
      const answer = await read(server, '/decisions/dec-1');
      expect({
        status: answer.status,
        retryAfter: answer.headers['retry-after'],
        message: answer.body.error?.message,
        leaks: DATABASE_WORDS.test(answer.text),
      }).toEqual({
        status: 500,
        retryAfter: undefined,
        message: expect.stringMatching(/^an internal error occurred/),
        leaks: false,
      });
    },
  );
});
