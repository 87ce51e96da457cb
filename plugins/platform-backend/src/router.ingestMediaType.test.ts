import { mockCredentials } from '@backstage/backend-test-utils';
import {
  createTestDatabases,
  makeRequest,
} from '@cellport/plugin-platform-node-test-utils';
import request from 'supertest';
import { startPlatformBackend } from './__testUtils__/startPlatformBackend';

/**
 * A valid batch in another media type is a 415 naming both types: read as a batch without
 * events, its 400 would have a gateway halve it and set every good event aside.
 */
describe('platform router: the media type of an event batch', () => {
  const databases = createTestDatabases();

  it('answers 415 naming the Content-Type received and application/json, and stores nothing', async () => {
    const knex = await databases.init('SQLITE_3');
    const { server } = await startPlatformBackend(knex);
    const body = JSON.stringify({
      events: makeRequest({
        timestamp: new Date(Date.now() - 60_000).toISOString(),
      }),
    });
    const post = (contentType?: string) => {
      const req = request(server)
        .post('/api/platform/events')
        .set('authorization', mockCredentials.service.header());
      // A string is sent with the type set, a Buffer with none.
      return contentType
        ? req.set('content-type', contentType).send(body)
        : req.send(Buffer.from(body));
    };

    const answers = [];
    for (const contentType of [
      'text/plain',
      'application/x-www-form-urlencoded',
      undefined,
    ]) {
      const answer = await post(contentType);
      answers.push({
        status: answer.status,
        name: answer.body.error?.name,
        message: answer.body.error?.message,
      });
    }
    const [usage] = await knex('platform_usage_events').count('* as n');

    expect({ answers, stored: Number(usage.n) }).toEqual({
      answers: [
        '"text/plain"',
        '"application/x-www-form-urlencoded"',
        'missing',
      ].map(received => ({
        status: 415,
        name: 'UnsupportedMediaTypeError',
        message: `Content-Type ${received}: send it as application/json`,
      })),
      stored: 0,
    });
    const taken = await post('application/json; charset=utf-8');
    expect(taken.body).toMatchObject({ received: 2, stored: 2 });
  });

  it('answers a caller without valid credentials 401 before looking at the media type', async () => {
    const knex = await databases.init('SQLITE_3');
    const { server } = await startPlatformBackend(knex);
    const answer = await request(server)
      .post('/api/platform/events')
      .set('authorization', mockCredentials.service.invalidHeader())
      .set('content-type', 'text/plain')
      .send('{}');
    expect({
      status: answer.status,
      name: answer.body.error?.name,
    }).toEqual({ status: 401, name: 'AuthenticationError' });
  });
});
