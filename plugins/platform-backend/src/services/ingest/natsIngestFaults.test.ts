import { LoggerService } from '@backstage/backend-plugin-api';
import { mockServices } from '@backstage/backend-test-utils';
import {
  createTestDatabases,
  CuttableLink,
  makeUsage,
  pollUntil,
  postgresThroughLink,
} from '@cellport/plugin-platform-node-test-utils';
import { Knex } from 'knex';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AckPolicy,
  connect,
  DeliverPolicy,
  NatsConnection,
  RetentionPolicy,
  StorageType,
} from 'nats';
import {
  freePort,
  startTestProcess,
  TestProcess,
} from '../../__testUtils__/testProcess';
import { applyDatabaseMigrations } from '../../database/migrations';
import { counted, recent, requests } from '../../__testUtils__/ingestEvents';
import { IngestService } from './IngestService';
import { NatsIngestConsumer } from './NatsIngestConsumer';

jest.setTimeout(60_000);

/**
 * The NATS consumer's promise: every event of a JetStream message is counted exactly once,
 * whatever fails between the database's commit and NATS's ack (the consumer process dies, NATS
 * restarts) or inside the transaction (the database connection is cut), and a message that can
 * never be stored is dropped for good without holding up the messages behind it. Each test has
 * a nats-server of its own, which it kills and restarts.
 */

const STREAM = 'CELLPORT_EVENTS';
const SUBJECT = 'cellport.events.eu-west-shared-1';
const DURABLE = 'platform-backend';

function startNats(port: number, dir: string): Promise<TestProcess> {
  return startTestProcess(
    'nats-server',
    ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', dir],
    { ready: /Server is ready/, timeoutMs: 20_000 },
  );
}

/** Polls until `probe` holds; the deadline bounds the wait, it is not what is tested. */
function until(what: string, probe: () => Promise<boolean> | boolean) {
  return pollUntil(async () => ((await probe()) ? true : undefined), {
    deadlineMs: 20_000,
    intervalMs: 50,
    describe: () => what,
  });
}

const encode = (value: unknown) => Buffer.from(JSON.stringify(value));

describe('NatsIngestConsumer under faults', () => {
  const databases = createTestDatabases();
  let nats: TestProcess;
  let dir: string;
  let port: number;
  let url: string;
  let client: NatsConnection;
  let knex: Knex;

  beforeEach(async () => {
    port = await freePort();
    url = `nats://127.0.0.1:${port}`;
    dir = await mkdtemp(join(tmpdir(), 'cellport-nats-faults-'));
    nats = await startNats(port, dir);
    client = await connect({
      servers: url,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 100,
    });
    knex = await databases.init('POSTGRES_16');
    await applyDatabaseMigrations(knex);
  });

  afterEach(async () => {
    await client.close().catch(() => undefined);
    await nats.kill();
    await rm(dir, { recursive: true, force: true });
  });

  /** The stream, and the durable with an ack wait short enough for a test to outwait. */
  async function makeStreamAndDurable() {
    const manager = await client.jetstreamManager();
    await manager.streams.add({
      name: STREAM,
      subjects: [SUBJECT],
      retention: RetentionPolicy.Limits,
      storage: StorageType.File,
      duplicate_window: 10 * 60 * 1e9,
    });
    await manager.consumers.add(STREAM, {
      durable_name: DURABLE,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      ack_wait: 2_000 * 1e6,
    });
  }

  function consumerOf(
    ingest: IngestService,
    options: { servers?: string[]; logger?: LoggerService } = {},
  ) {
    return new NatsIngestConsumer(
      ingest,
      options.logger ?? mockServices.logger.mock(),
      {
        servers: options.servers ?? [url],
        stream: STREAM,
        subjects: [SUBJECT],
        durable: DURABLE,
        batchSize: 16,
        retryDelayMs: 100,
      },
    );
  }

  /** Waits until the durable has nothing pending or unacked; its state then. */
  async function drained() {
    const manager = await client.jetstreamManager();
    let info = await manager.consumers.info(STREAM, DURABLE);
    await until('the consumer drained', async () => {
      info = await manager.consumers.info(STREAM, DURABLE);
      return info.num_pending === 0 && info.num_ack_pending === 0;
    });
    return info;
  }

  it('terminates messages that can never be stored, which neither block the messages behind them nor come back', async () => {
    const consumer = consumerOf(new IngestService(knex));
    await consumer.start();
    try {
      // A string with bytes that are no UTF-8: taken as text with replacement characters.
      const notUtf8 = encode({
        events: [{ ...makeUsage({ timestamp: recent() }), provider: 'XX' }],
      });
      const at = notUtf8.indexOf('"XX"');
      notUtf8[at + 1] = 0xff;
      notUtf8[at + 2] = 0xfe;
      const [, lastUsage] = requests(1);
      const payloads = [
        Buffer.from('not json {'),
        Buffer.from([0xff, 0xfe, 0x00, 0x81]),
        encode(null),
        encode([]),
        encode({ events: [] }),
        Buffer.from(`${'['.repeat(200_000)}${']'.repeat(200_000)}`),
        notUtf8,
        encode({ events: requests(3) }),
        encode({ events: [lastUsage] }),
      ];
      const js = client.jetstream();
      for (const payload of payloads) await js.publish(SUBJECT, payload);
      const info = await drained();
      // Time for a message nak'ed rather than terminated to be delivered again.
      await new Promise(resolve => setTimeout(resolve, 1_500));
      const after = await (
        await client.jetstreamManager()
      ).consumers.info(STREAM, DURABLE);
      expect({
        ackFloor: info.ack_floor.stream_seq,
        redelivered: after.num_redelivered,
        ackPending: after.num_ack_pending,
        ...(await counted(knex)),
      }).toMatchObject({
        ackFloor: payloads.length,
        redelivered: 0,
        ackPending: 0,
        // notUtf8: 1 usage event; three requests; lastUsage: 1 usage event.
        usageRows: 5,
        decisionRows: 3,
        requests: 5,
      });
    } finally {
      await consumer.stop();
    }
  });

  it('counts a message once when the consumer dies between the commit and the ack and another takes over', async () => {
    await makeStreamAndDurable();
    // The first consumer reaches NATS through a link that is cut right after its commit: to
    // NATS it is gone, and its ack is never sent.
    const toNats = new CuttableLink({ host: '127.0.0.1', port });
    const linkPort = await toNats.open();
    let died = false;
    class DiesAfterCommit extends IngestService {
      override async ingestIsolating(
        ...args: Parameters<IngestService['ingestIsolating']>
      ) {
        const result = await super.ingestIsolating(...args);
        if (!died) {
          await toNats.cut();
          died = true;
        }
        return result;
      }
    }
    const dead = consumerOf(new DiesAfterCommit(knex), {
      servers: [`nats://127.0.0.1:${linkPort}`],
    });
    await dead.start();
    const revived = consumerOf(new IngestService(knex));
    try {
      await client
        .jetstream()
        .publish(SUBJECT, encode({ events: requests(50) }));
      await until('the first consumer died', () => died);
      const atDeath = await counted(knex);

      await revived.start();
      await client
        .jetstream()
        .publish(SUBJECT, encode({ events: requests(20) }));
      const info = await drained();
      expect({
        atDeath: atDeath.requests,
        ...(await counted(knex)),
        ackFloor: info.ack_floor.stream_seq,
        // The first message delivered again (never acked), then the second.
        deliveries: info.delivered.consumer_seq,
      }).toEqual({
        atDeath: 50,
        usageRows: 70,
        decisionRows: 70,
        requests: 70,
        decisions: 70,
        cost: 70,
        tokens: 70 * 100,
        ackFloor: 2,
        deliveries: 3,
      });
    } finally {
      await revived.stop();
      await dead.stop();
    }
  });

  it('counts a message once when NATS restarts with its store between the commit and the ack', async () => {
    await makeStreamAndDurable();
    let restarted = false;
    class NatsRestartsAfterCommit extends IngestService {
      override async ingestIsolating(
        ...args: Parameters<IngestService['ingestIsolating']>
      ) {
        const result = await super.ingestIsolating(...args);
        if (!restarted) {
          await nats.kill();
          nats = await startNats(port, dir);
          restarted = true;
        }
        return result;
      }
    }
    const consumer = consumerOf(new NatsRestartsAfterCommit(knex));
    await consumer.start();
    try {
      await client
        .jetstream()
        .publish(SUBJECT, encode({ events: requests(40) }));
      await until('NATS restarted', () => restarted);
      // Like a gateway's spool: publish until NATS answers again.
      await until('a publish after the restart', async () => {
        await client
          .jetstream({ timeout: 1_000 })
          .publish(SUBJECT, encode({ events: requests(10) }));
        return true;
      });
      const info = await drained();
      expect({
        ...(await counted(knex)),
        ackFloor: info.ack_floor.stream_seq,
      }).toMatchObject({
        usageRows: 50,
        requests: 50,
        cost: 50,
        ackFloor: 2,
      });
    } finally {
      await consumer.stop();
    }
  });

  it('retries a message whose database connection is cut mid-transaction, storing nothing of the failed attempt and every event once', async () => {
    const linked = await postgresThroughLink(knex);
    const logger = mockServices.logger.mock();
    let failure: string | undefined;
    let attempts = 0;
    class CutMidTransaction extends IngestService {
      override async ingestIsolating(
        ...args: Parameters<IngestService['ingestIsolating']>
      ) {
        if (attempts++ > 0) return super.ingestIsolating(...args);
        const cut = linked.cutWhileInserting();
        try {
          return await super.ingestIsolating(...args);
        } catch (error) {
          failure = String(error);
          throw error;
        } finally {
          await cut;
        }
      }
    }
    const consumer = consumerOf(new CutMidTransaction(linked.knex), {
      logger,
    });
    await consumer.start();
    try {
      // A message as large as a gateway sends (it cuts them at 512 KiB).
      await client
        .jetstream()
        .publish(SUBJECT, encode({ events: requests(500) }));
      await until('the first attempt failed', () => failure !== undefined);
      const rolledBack = await counted(knex);
      await linked.link.open();
      await client
        .jetstream()
        .publish(SUBJECT, encode({ events: requests(10) }));
      const info = await drained();
      expect({
        rolledBack: rolledBack.usageRows,
        ...(await counted(knex)),
        ackFloor: info.ack_floor.stream_seq,
        dropped: logger.error.mock.calls,
      }).toMatchObject({
        rolledBack: 0,
        usageRows: 510,
        requests: 510,
        cost: 510,
        ackFloor: 2,
        dropped: [],
      });
      expect(logger.warn).toHaveBeenCalledWith(
        expect.stringMatching(/failed, retrying/),
      );
    } finally {
      await consumer.stop();
      await linked.close();
    }
  });
});
