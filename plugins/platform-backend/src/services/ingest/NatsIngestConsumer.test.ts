import { mockServices } from '@backstage/backend-test-utils';
import { connect, JSONCodec, NatsConnection } from 'nats';
import { applyDatabaseMigrations } from '../../database/migrations';
import { IngestService } from './IngestService';
import { NatsIngestConsumer } from './NatsIngestConsumer';
import {
  createTestDatabases,
  makeRequest,
} from '@cellport/plugin-platform-node-test-utils';

jest.setTimeout(60_000);

const NATS_URL = process.env.CELLPORT_TEST_NATS_URL ?? 'nats://127.0.0.1:4222';

async function connectOrExplain(): Promise<NatsConnection> {
  try {
    return await connect({ servers: NATS_URL, timeout: 3000 });
  } catch (error) {
    throw new Error(
      `These tests need NATS with JetStream at ${NATS_URL} (set CELLPORT_TEST_NATS_URL): ${error}`,
    );
  }
}

/** Polls until the consumer has nothing pending or unacked; bounded, not timed. */
async function drained(nc: NatsConnection, stream: string, durable: string) {
  const manager = await nc.jetstreamManager();
  for (let i = 0; i < 200; i++) {
    const info = await manager.consumers.info(stream, durable);
    if (info.num_pending === 0 && info.num_ack_pending === 0) return info;
    await new Promise(resolve => setTimeout(resolve, 50));
  }
  throw new Error('consumer did not drain');
}

describe('NatsIngestConsumer', () => {
  const databases = createTestDatabases();

  it.each(databases.eachSupportedId())(
    'acks after commit, retries failed writes, terminates bad messages, on %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      const nc = await connectOrExplain();
      const suffix = `${databaseId.replace(/\W/g, '')}_${
        process.pid
      }_${Date.now()}`;
      const stream = `CELLPORT_TEST_${suffix}`;
      const subject = `cellport.test.${suffix}.events`;
      const durable = 'platform-backend-test';
      const codec = JSONCodec();
      const logger = mockServices.logger.mock();
      const consumer = new NatsIngestConsumer(new IngestService(knex), logger, {
        servers: [NATS_URL],
        stream,
        subjects: [subject],
        durable,
        batchSize: 10,
        retryDelayMs: 100,
      });
      try {
        await consumer.start();
        const js = nc.jetstream();
        const batch = { events: [...makeRequest(), ...makeRequest()] };

        // The tables do not exist yet: the write fails and the message is redelivered later.
        await js.publish(subject, codec.encode(batch));
        const manager = await nc.jetstreamManager();
        for (let i = 0; i < 200; i++) {
          if (logger.warn.mock.calls.length > 0) break;
          await new Promise(resolve => setTimeout(resolve, 50));
        }
        expect(logger.warn).toHaveBeenCalledWith(
          expect.stringMatching(/retrying/),
        );
        await applyDatabaseMigrations(knex);

        // A replay of the same batch, a message that is no batch at all, and a batch with one
        // event a newer gateway wrote, which must not take its valid neighbours with it.
        await js.publish(subject, codec.encode(batch));
        await js.publish(
          subject,
          codec.encode({ events: [{ type: 'usage' }] }),
        );
        const [decision, usage] = makeRequest();
        await js.publish(
          subject,
          codec.encode({
            events: [
              decision,
              { ...usage, id: 'from-the-future', outcome: 'teleported' },
              usage,
            ],
          }),
        );
        const info = await drained(nc, stream, durable);
        expect(info.ack_floor.stream_seq).toBe(4);

        const [{ n }] = await knex('platform_usage_events').count('* as n');
        expect(Number(n)).toBe(3);
        const [{ requests }] = await knex('platform_rollups_day').sum(
          'requests as requests',
        );
        expect(Number(requests)).toBe(3);
        expect(logger.error).toHaveBeenCalledWith(
          expect.stringMatching(/Dropping invalid/),
        );
        expect(logger.error).toHaveBeenCalledWith(
          expect.stringMatching(
            /Dropped 1 invalid events of message .*#4: events\[1\]\.outcome/,
          ),
        );
        await manager.streams.delete(stream);
      } finally {
        await consumer.stop();
        await nc.close();
      }
    },
  );
});
