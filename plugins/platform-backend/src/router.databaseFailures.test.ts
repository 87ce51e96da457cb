import { mockCredentials, TestBackend } from '@backstage/backend-test-utils';
import {
  createTestDatabases,
  failureAnswerOf,
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

/** The platform's tables, whose names must not reach a body either. */
const TABLES = ['platform_'];

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
        answers.push({
          path,
          ...failureAnswerOf(await read(server, path), TABLES),
        });
      }
      expect(answers).toEqual(
        READ_ROUTES.map(path => ({
          path,
          status: 503,
          retryAfter: '5',
          name: 'ServiceUnavailableError',
          message: expect.stringMatching(
            /^a service this request needs cannot answer now; send the request again \(logId=[0-9a-f]+\)$/,
          ),
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
      expect(failureAnswerOf(answer, TABLES)).toEqual({
        status: 500,
        retryAfter: undefined,
        name: 'Error',
        message: expect.stringMatching(/^an internal error occurred/),
        leaks: false,
      });
    },
  );
});
