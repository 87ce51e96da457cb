import { TestBackend } from '@backstage/backend-test-utils';
import { eventsSubject } from '@cellport/plugin-platform-common';
import { createTestDatabases } from '@cellport/plugin-platform-node-test-utils';
import {
  counted,
  cut,
  postEvents,
  requests,
} from '../../__testUtils__/ingestEvents';
import {
  EVENTS_DURABLE,
  natsIngestOptions,
  startJetStream,
} from '../../__testUtils__/jetStream';
import { startPlatformBackend } from '../../__testUtils__/startPlatformBackend';

jest.setTimeout(120_000);

/**
 * Every event is counted once however many portal replicas read it, and by which way: three
 * backends on one PostgreSQL database, two sharing the JetStream durable and one reading the
 * stream on a durable of its own, take the same events from NATS, cut into messages three
 * ways, and by HTTP at the same time. A nats-server of the test's own.
 */
describe('NatsIngestConsumer: portal replicas on one database', () => {
  const databases = createTestDatabases();

  it('counts each event once with two portal replicas on one database sharing the durable, a third on its own durable, and the same events over HTTP at once', async () => {
    const knex = await databases.init('POSTGRES_16');
    const jetStream = await startJetStream();
    const otherDurable = `${EVENTS_DURABLE}-other`;
    const replicas: TestBackend[] = [];
    try {
      for (const durable of [EVENTS_DURABLE, EVENTS_DURABLE, otherDurable]) {
        replicas.push(
          await startPlatformBackend(knex, {
            platform: {
              nats: {
                enabled: true,
                ...natsIngestOptions(jetStream.url, durable),
              },
            },
          }),
        );
      }
      const pool = requests(400); // 800 events
      const js = jetStream.client.jetstream();
      // No Nats-Msg-Id: as a gateway that cut a segment anew after a restart publishes it.
      const messages = [...cut(pool, 100), ...cut(pool, 64), ...cut(pool, 333)];
      const published = Promise.all(
        messages.map(events =>
          js.publish(
            eventsSubject('eu-west-shared-1'),
            Buffer.from(JSON.stringify({ events })),
          ),
        ),
      );
      const posted = Promise.all(
        replicas.flatMap(({ server }) =>
          cut(pool, 250).map(events => postEvents(server, { events })),
        ),
      );
      await published;
      const answers = await posted;
      await jetStream.drained([EVENTS_DURABLE, otherDurable], messages.length);
      expect({
        httpStatuses: [...new Set(answers.map(a => a.status))],
        ...(await counted(knex)),
      }).toEqual({
        httpStatuses: [200],
        usageRows: 400,
        decisionRows: 400,
        requests: 400,
        decisions: 400,
        cost: 400,
        tokens: 40_000,
      });
    } finally {
      // Consumers stop while their NATS is still there to drain to.
      await Promise.all(replicas.map(replica => replica.stop()));
      await jetStream.stop();
    }
  });
});
