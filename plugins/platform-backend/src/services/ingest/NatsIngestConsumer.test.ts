import { mockServices } from '@backstage/backend-test-utils';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  connect,
  JSONCodec,
  NatsConnection,
  RetentionPolicy,
  StorageType,
} from 'nats';
import { freePort, startTestProcess } from '../../__testUtils__/testProcess';
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
      // A cell's subject ends in its name: the consumer refuses events of other cells.
      const subject = `cellport.test.${suffix}.eu-west-shared-1`;
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

/** A nats-server with JetStream of this test's own, storing in `dir`. */
async function startNatsServer(port: number, dir: string) {
  const command = process.env.CELLPORT_TEST_NATS_SERVER ?? 'nats-server';
  try {
    return await startTestProcess(
      command,
      ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', dir],
      { ready: /Server is ready/ },
    );
  } catch (error) {
    throw new Error(
      `This test starts its own NATS server: it needs the nats-server binary on PATH (or CELLPORT_TEST_NATS_SERVER): ${
        (error as Error).message
      }`,
    );
  }
}

/** Polls `probe` until it returns true; bounded by a number of polls, not by a clock. */
async function eventually(
  what: string,
  probe: () => Promise<boolean>,
  polls = 600,
) {
  for (let i = 0; i < polls; i++) {
    if (await probe().catch(() => false)) return;
    await new Promise(resolve => setTimeout(resolve, 50));
  }
  throw new Error(`Gave up waiting: ${what}`);
}

describe('NatsIngestConsumer across NATS restarts', () => {
  const databases = createTestDatabases();

  // What NATS does to the consumer does not depend on the database (the storing is the test
  // above's, on each): one database keeps this 12-second scenario from running twice.
  it.each(['POSTGRES_16'] as const)(
    'resumes after NATS comes back with an empty store or with its store, and stops mid-recovery, on %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      await applyDatabaseMigrations(knex);
      const port = await freePort();
      const url = `nats://127.0.0.1:${port}`;
      const dir = await mkdtemp(join(tmpdir(), 'cellport-nats-'));
      const store = join(dir, 'store');
      // As configured in production and created by the gateways.
      const stream = 'CELLPORT_EVENTS';
      const subject = 'cellport.events.eu-west-shared-1';
      const durable = 'platform-backend';
      const codec = JSONCodec();
      const logger = mockServices.logger.mock();
      let nats = await startNatsServer(port, store);
      const consumer = new NatsIngestConsumer(new IngestService(knex), logger, {
        servers: [url],
        stream,
        subjects: ['cellport.events.>'],
        durable,
        batchSize: 10,
        retryDelayMs: 100,
      });
      // The gateway's connection: reconnects forever, finds or makes the stream before it
      // publishes (NatsTransport.ensureStream), with the same stream configuration.
      const gateway = await connect({
        servers: url,
        maxReconnectAttempts: -1,
        reconnectTimeWait: 100,
      });
      // Like the gateway's spool, retries (with the same message id) until NATS answers.
      const gatewayEnsureStream = () =>
        eventually('the gateway found or made the stream', async () => {
          const manager = await gateway.jetstreamManager({ timeout: 1000 });
          try {
            await manager.streams.info(stream);
          } catch {
            await manager.streams.add({
              name: stream,
              subjects: ['cellport.events.>'],
              retention: RetentionPolicy.Limits,
              storage: StorageType.File,
              duplicate_window: 10 * 60 * 1e9,
            });
          }
          return true;
        });
      let sent = 0;
      const publishBatch = async (requests: number) => {
        const events = Array.from({ length: requests }, () =>
          makeRequest(),
        ).flat();
        const msgID = `batch-${events[0].id}`;
        await eventually('the gateway published', async () => {
          await gateway
            .jetstream({ timeout: 1000 })
            .publish(subject, codec.encode({ events }), { msgID });
          return true;
        });
        sent += requests;
      };
      const usageRows = async () =>
        Number((await knex('platform_usage_events').count('* as n'))[0].n);
      const allIngested = () =>
        eventually(`${sent} usage events ingested`, async () => {
          return (await usageRows()) === sent;
        });
      const restartNats = async (keepStore: boolean) => {
        await nats.kill();
        if (!keepStore) await rm(store, { recursive: true, force: true });
        nats = await startNatsServer(port, store);
      };
      const outageWarnings = () =>
        logger.warn.mock.calls.filter(([message]) =>
          /NATS consumer/.test(message),
        ).length;
      const consumerExists = async () => {
        const manager = await gateway.jetstreamManager();
        await manager.consumers.info(stream, durable);
        return true;
      };

      try {
        await consumer.start();
        await gatewayEnsureStream();
        await publishBatch(3);
        await allIngested();

        // 1. The store is lost and the gateway is first back: it makes the stream and
        //    publishes before the portal's consumer exists again.
        await restartNats(false);
        await gatewayEnsureStream();
        await publishBatch(4);
        await allIngested();
        expect(outageWarnings()).toBe(1);

        // 2. The store is lost again and the portal is first back: it makes the stream and its
        //    consumer, then the gateway publishes into them.
        await restartNats(false);
        await eventually('the consumer recreated', consumerExists);
        await gatewayEnsureStream();
        await publishBatch(5);
        await allIngested();
        expect(outageWarnings()).toBe(2);

        // 3. A plain restart with the store kept: the consumer just reconnects.
        await restartNats(true);
        await publishBatch(6);
        await allIngested();
        expect(outageWarnings()).toBe(2);

        // Nothing was counted twice: one request per usage event in the rollups.
        const [{ requests }] = await knex('platform_rollups_day').sum(
          'requests as requests',
        );
        expect(Number(requests)).toBe(sent);

        // 4. The store is lost once more and the portal is stopped while it recovers: stop()
        //    returns (the test's timeout bounds it).
        await restartNats(false);
        await eventually(
          'the outage noticed',
          async () => outageWarnings() === 3,
        );
        await consumer.stop();
      } finally {
        await consumer.stop();
        await gateway.close();
        await nats.kill();
        await rm(dir, { recursive: true, force: true });
      }
    },
    180_000,
  );
});
