import {
  mockCredentials,
  mockServices,
  startTestBackend,
  TestBackend,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import {
  createTestDatabases,
  failureAnswerOf,
  postgresThroughLink,
  TEST_ENTITIES,
} from '@cellport/plugin-platform-node-test-utils';
import { Knex } from 'knex';
import request from 'supertest';
import { platformDeployPlugin } from './plugin';

jest.setTimeout(60_000);

/**
 * What a caller of the deploy driver is told when its database (the audit log) fails under a
 * request: a database that cannot answer now is a 503 to retry, anything else a 500, and
 * neither names the statement, the table, the database's address or a stack.
 */

const CELL = 'cell:default/eu-west-shared-1';

/** The routes that read or write the audit log, each as the caller it takes. */
const AUDIT_ROUTES = [
  { route: 'GET /audit', send: (server: Server) => get(server, '/audit') },
  {
    route: 'GET /audit?entityRef=',
    send: (server: Server) => get(server, `/audit?entityRef=${CELL}`),
  },
  {
    route: 'POST /first-applied',
    send: (server: Server) =>
      request(server)
        .post('/api/platform-deploy/first-applied')
        .set('authorization', mockCredentials.service.header())
        .send({ entityRefs: [CELL] }),
  },
  {
    // No cluster is configured: the apply is refused, and its refusal audited.
    route: 'POST /apply',
    send: (server: Server) =>
      request(server)
        .post('/api/platform-deploy/apply')
        .set('authorization', mockCredentials.user.header())
        .send({ entityRef: CELL }),
  },
];

type Server = TestBackend['server'];

function get(server: Server, path: string) {
  return request(server)
    .get(`/api/platform-deploy${path}`)
    .set('authorization', mockCredentials.user.header());
}

/** The deploy driver alone on `knex`, allowing every permission, with no cluster configured. */
async function startDeployBackend(knex: Knex) {
  const { server } = await startTestBackend({
    features: [
      platformDeployPlugin,
      mockServices.database.factory({ knex }),
      catalogServiceMock.factory({ entities: TEST_ENTITIES }),
      mockServices.permissions.factory(),
      mockServices.rootConfig.factory({ data: {} }),
    ],
  });
  return server;
}

async function answersOf(server: Server) {
  const answers = [];
  for (const { route, send } of AUDIT_ROUTES) {
    answers.push({
      route,
      ...failureAnswerOf(await send(server), ['deploy_audit']),
    });
  }
  return answers;
}

describe('platform-deploy router: the audit log while the database fails', () => {
  const databases = createTestDatabases();

  it('answers 503 with Retry-After and a neutral message while PostgreSQL cannot be reached', async () => {
    const direct = await databases.init('POSTGRES_16');
    const linked = await postgresThroughLink(direct);
    try {
      const server = await startDeployBackend(linked.knex);
      await linked.link.cut();
      expect(await answersOf(server)).toEqual(
        AUDIT_ROUTES.map(({ route }) => ({
          route,
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
      const server = await startDeployBackend(knex);
      // The table gone under the running driver (a bad migration, a restore of another
      // version): a fault of ours that no retry mends.
      await knex.schema.dropTable('deploy_audit');
      expect(await answersOf(server)).toEqual(
        AUDIT_ROUTES.map(({ route }) => ({
          route,
          status: 500,
          retryAfter: undefined,
          name: 'Error',
          message: expect.stringMatching(
            /^an internal error occurred \(logId=[0-9a-f]+\)$/,
          ),
          leaks: false,
        })),
      );
    },
  );
});
