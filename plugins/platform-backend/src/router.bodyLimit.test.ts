import { mockCredentials } from '@backstage/backend-test-utils';
import request from 'supertest';
import { startPlatformBackend } from './__testUtils__/startPlatformBackend';
import {
  createTestDatabases,
  makeRequest,
} from '@cellport/plugin-platform-node-test-utils';

jest.setTimeout(120_000);

/**
 * A body over the limit is answered 413, which a gateway meets by sending the same events in
 * smaller parts; a 400 would have it set them aside for good.
 */
describe('platform router: bodies over the limit', () => {
  const databases = createTestDatabases();

  it.each(databases.eachSupportedId())(
    'answers 413 naming the limit, takes the same events in smaller parts, and names a body that is not an object, on %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      const { server } = await startPlatformBackend(knex);
      const post = (body: string) =>
        request(server)
          .post('/api/platform/events')
          .set('authorization', mockCredentials.service.header())
          .set('content-type', 'application/json')
          .send(body);

      // A routing decision of many candidates, padded past the 25 MB limit as a whole batch.
      const [decision, usage] = makeRequest({
        timestamp: new Date(Date.now() - 60_000).toISOString(),
      });
      const padding = 'x'.repeat(26 * 1024 * 1024);
      const tooLarge = await post(
        JSON.stringify({ events: [decision, usage], padding }),
      );
      expect(tooLarge.status).toBe(413);
      expect(tooLarge.body).toEqual({
        error: {
          name: 'PayloadTooLargeError',
          message: `request body of ${
            26 * 1024 * 1024 +
            Buffer.byteLength(
              JSON.stringify({ events: [decision, usage], padding: '' }),
            )
          } bytes is over the limit of 25mb; send it in smaller parts`,
        },
        request: { method: 'POST', url: '/api/platform/events' },
        response: { statusCode: 413 },
      });

      const taken = await post(JSON.stringify({ events: [decision, usage] }));
      expect(taken.status).toBe(200);
      expect(taken.body).toMatchObject({ received: 2, stored: 2 });

      // JSON that is not an object is named as such, not as a syntax error.
      for (const body of ['null', ' 42', '"events"', 'true']) {
        const refused = await post(body);
        expect(refused.status).toBe(400);
        expect(refused.body.error.message).toBe(
          `body: must be a JSON object, not ${body.trim()}`,
        );
      }
    },
  );
});
