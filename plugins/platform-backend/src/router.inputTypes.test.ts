import { mockCredentials, TestDatabases } from '@backstage/backend-test-utils';
import request from 'supertest';
import { startPlatformBackend } from './__testUtils__/startPlatformBackend';

jest.setTimeout(120_000);

/**
 * Query values of the wrong type are refused by the OpenAPI document before a handler runs;
 * the answer names the field and the type it should have, never "is required" for a value
 * that is there.
 */
describe('platform router: query values of the wrong type', () => {
  // The OpenAPI document refuses these before any query: one database is enough.
  const databases = TestDatabases.create({
    ids: ['SQLITE_3'],
    disableDocker: true,
  });

  it.each(databases.eachSupportedId())(
    'answers 400 naming the field and its type, on %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      const { server } = await startPlatformBackend(knex);
      const get = (path: string) =>
        request(server)
          .get(`/api/platform${path}`)
          .set('authorization', mockCredentials.user.header());

      const cases: Array<[string, string]> = [
        ['/decisions?limit=abc', 'Invalid query: limit: must be an integer'],
        ['/decisions?limit=1.5', 'Invalid query: limit: must be an integer'],
        [
          '/traffic?buckets=twelve',
          'Invalid query: buckets: must be an integer',
        ],
        [
          '/cost/movers?limit=%E2%9C%93',
          'Invalid query: limit: must be an integer',
        ],
        [
          '/decisions?from=yesterday',
          'Invalid query: from: must be an ISO 8601 timestamp',
        ],
        [
          '/decisions?fellBack=1',
          'Invalid query: fellBack: expected one of true | false',
        ],
        [
          '/cost/breakdown?granularity=week',
          'Invalid query: granularity: expected one of hour | day',
        ],
        ['/cost/budget', 'Invalid query: tenant: is required'],
        // Bounds come from openapi.yaml alone.
        ['/traffic?buckets=61', 'Invalid query: buckets: must be at most 60'],
        ['/decisions?limit=0', 'Invalid query: limit: must be at least 1'],
        ['/cost/movers?limit=51', 'Invalid query: limit: must be at most 50'],
        [
          '/decisions?limit=5&tenantt=x',
          'Invalid query: tenantt: is not a parameter of this route',
        ],
        // What PostgreSQL cannot hold or compare is refused by name, never a 500.
        [
          '/cost/breakdown?tenant=x%00y',
          'Invalid query: tenant: must not hold a NUL character',
        ],
        ['/cells/x%00y/runtime', 'Invalid path: must not hold a NUL character'],
        [
          `/cells/${'a'.repeat(256)}/runtime`,
          'Invalid path: ref: Too big: expected string to have <=255 characters',
        ],
        [
          '/cost/breakdown?from=9999-01-01T00:00:00Z&to=9999-06-01T00:00:00Z',
          'Invalid query: from: must be in the years 2000 to 2099; to: must be in the years 2000 to 2099',
        ],
        [
          `/decisions?cursor=${Buffer.from(
            '99999999999999999999999:abc',
          ).toString('base64url')}`,
          'cursor: is not a cursor this API returned',
        ],
      ];
      for (const [path, message] of cases) {
        const response = await get(path);
        expect({ path, status: response.status }).toEqual({
          path,
          status: 400,
        });
        expect(response.body.error.name).toBe('InputError');
        expect({ path, message: response.body.error.message }).toEqual({
          path,
          message,
        });
        expect(response.body.error.stack).toBeUndefined();
      }

      // A number too large for a double passes the document's integer check as Infinity; the
      // handler's own check still names the field rather than calling it missing.
      const huge = await get('/decisions?limit=1e400');
      expect(huge.status).toBe(400);
      expect(huge.body.error.message).toMatch(/^Invalid query: limit: /);
      expect(huge.body.error.message).not.toMatch(/is required/);

      // Two wrong values: both named, and neither called missing.
      const both = await get('/traffic?buckets=x&to=soon');
      expect(both.status).toBe(400);
      expect(both.body.error.message).toMatch(/buckets: must be an integer/);
      expect(both.body.error.message).toMatch(
        /to: must be an ISO 8601 timestamp/,
      );
      expect(both.body.error.message).not.toMatch(/is required/);

      // A value repeated into an array is still the wrong type, not a crash.
      const repeated = await get('/decisions?limit=1&limit=2');
      expect(repeated.status).toBe(400);
      expect(repeated.body.error.message).toMatch(/limit/);
    },
  );
});
