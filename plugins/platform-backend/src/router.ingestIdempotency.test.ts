import {
  createTestDatabases,
  makeUsage,
} from '@cellport/plugin-platform-node-test-utils';
import {
  counted,
  cut,
  postEvents,
  recent,
  requests,
  shuffled,
} from './__testUtils__/ingestEvents';
import { startPlatformBackend } from './__testUtils__/startPlatformBackend';

jest.setTimeout(120_000);

/**
 * Each event posted to POST /events is counted once, whichever portal replica takes it and in
 * whatever batches: two backends on one PostgreSQL database take the same events, cut into
 * other batches, at once. An id that comes twice in one batch is either the same event again
 * (a duplicate, stored once) or another event under a taken id, a gateway's bug that would
 * lose one request's cost: that one is refused by index, not counted as a harmless duplicate.
 */
describe('platform router: each event counted once', () => {
  const databases = createTestDatabases();

  it('counts each event once when two portal replicas on one database take the same events split differently, concurrently', async () => {
    const knex = await databases.init('POSTGRES_16');
    const replicaA = await startPlatformBackend(knex);
    const replicaB = await startPlatformBackend(knex);
    const pool = requests(600); // 1200 events
    // Replica A: batches of 250 in order; replica B: batches of 170 shuffled; plus the whole
    // pool at once to A, as a gateway retrying after a timeout would.
    const sends = [
      ...cut(pool, 250).map(events => ({ to: replicaA, events })),
      ...cut(shuffled(pool), 170).map(events => ({ to: replicaB, events })),
      { to: replicaA, events: shuffled(pool) },
    ];
    const answers = await Promise.all(
      sends.map(({ to, events }) => postEvents(to.server, { events })),
    );
    expect({
      statuses: [...new Set(answers.map(a => a.status))],
      // Each event is stored by exactly one of the answers, a duplicate in all the others.
      storedAcrossAnswers: answers.reduce((n, a) => n + a.body.stored, 0),
      ...(await counted(knex)),
    }).toEqual({
      statuses: [200],
      storedAcrossAnswers: 1200,
      usageRows: 600,
      decisionRows: 600,
      requests: 600,
      decisions: 600,
      cost: 600,
      tokens: 60_000,
    });
  });

  it('refuses by index a second event of one batch that reuses an id with other content, and stores an exact copy once', async () => {
    const knex = await databases.init('POSTGRES_16');
    const { server } = await startPlatformBackend(knex);
    const first = makeUsage({ timestamp: recent(), costUsd: 1 });
    const conflicting = { ...first, costUsd: 100, inputTokens: 9999 };
    const sameAgain = { ...first };
    const answer = await postEvents(server, {
      events: [first, conflicting, sameAgain],
    });
    expect({
      status: answer.status,
      body: answer.body,
      ...(await counted(knex)),
    }).toEqual({
      status: 200,
      body: {
        received: 3,
        stored: 1,
        duplicates: 1,
        rejected: 1,
        rejections: [
          {
            index: 1,
            message:
              'events[1].id: reuses the id of events[0] with other content',
          },
        ],
      },
      usageRows: 1,
      decisionRows: 0,
      requests: 1,
      decisions: 0,
      cost: 1,
      tokens: first.inputTokens,
    });
  });
});
