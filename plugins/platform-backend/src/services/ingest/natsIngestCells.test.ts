import { mockServices } from '@backstage/backend-test-utils';
import { eventsSubject } from '@cellport/plugin-platform-common';
import { createTestDatabases } from '@cellport/plugin-platform-node-test-utils';
import { Knex } from 'knex';
import { requests } from '../../__testUtils__/ingestEvents';
import {
  EVENTS_DURABLE,
  natsIngestOptions,
  startJetStream,
} from '../../__testUtils__/jetStream';
import { applyDatabaseMigrations } from '../../database/migrations';
import { IngestService } from './IngestService';
import { NatsIngestConsumer } from './NatsIngestConsumer';

jest.setTimeout(120_000);

/**
 * An event read from NATS is stored only when published on its own cell's subject
 * (`eventsSubject(cell)`, cellport.events.<cell>). NATS grants each gateway the subject of its
 * cell, so that is what lets a gateway speak for a cell: an event claiming another cell, and
 * writing cost and errors into that cell's tenants, is refused by index, and the message's
 * other events are stored. A nats-server of the test's own and the consumer on PostgreSQL.
 */

const encode = (value: unknown) => Buffer.from(JSON.stringify(value));

async function usageRowsOf(knex: Knex, cell: string) {
  const [{ n }] = await knex('platform_usage_events')
    .where({ cell })
    .count('* as n');
  return Number(n);
}

describe('NatsIngestConsumer: events of the cell of their subject', () => {
  const databases = createTestDatabases();

  /** The consumer of the portal's configuration, on a migrated database and NATS of its own. */
  async function startConsumer() {
    const knex = await databases.init('POSTGRES_16');
    await applyDatabaseMigrations(knex);
    const jetStream = await startJetStream();
    const logger = mockServices.logger.mock();
    const consumer = new NatsIngestConsumer(
      new IngestService(knex),
      logger,
      natsIngestOptions(jetStream.url),
    );
    const stop = async () => {
      await consumer.stop();
      await jetStream.stop();
    };
    await consumer.start().catch(async error => {
      await stop();
      throw error;
    });
    return { knex, jetStream, logger, stop };
  }

  it("stores no event whose cell is not the cell of the subject it was published on: a publisher on one cell's subject cannot write another cell's or tenant's figures", async () => {
    const { knex, jetStream, logger, stop } = await startConsumer();
    try {
      const js = jetStream.client.jetstream();
      const usEast = eventsSubject('us-east-shared-1');
      // On the us-east gateway's subject, events claiming eu-west's tenant: a message of them
      // alone, then one with them before us-east's own events.
      const forged = () =>
        requests(5, {
          cell: 'eu-west-shared-1',
          tenant: 'northwind-retail',
          costUsd: 100,
        });
      await js.publish(usEast, encode({ events: forged() }));
      await js.publish(
        usEast,
        encode({
          events: [...forged(), ...requests(1, { cell: 'us-east-shared-1' })],
        }),
      );
      await jetStream.drained([EVENTS_DURABLE], 2);
      const [{ cost }] = await knex('platform_rollups_day')
        .where({ tenant: 'northwind-retail', cell: 'eu-west-shared-1' })
        .select(knex.raw('coalesce(sum(cost_usd), 0) as cost'));
      const refused = (message: string) =>
        new RegExp(
          `${message}.*events\\[0\\]\\.cell: eu-west-shared-1 is not the cell of the subject it was published on \\(cellport\\.events\\.us-east-shared-1\\)`,
        );
      expect({
        forgedUsageRowsStored: await usageRowsOf(knex, 'eu-west-shared-1'),
        northwindEuWestCost: Number(cost),
        legitimateStored: await usageRowsOf(knex, 'us-east-shared-1'),
        logged: logger.error.mock.calls.map(([message]) => message),
      }).toEqual({
        forgedUsageRowsStored: 0,
        northwindEuWestCost: 0,
        legitimateStored: 1,
        logged: [
          expect.stringMatching(
            refused('Dropping invalid event message .*#1: '),
          ),
          expect.stringMatching(
            refused('Dropped 10 invalid events of message .*#2: '),
          ),
        ],
      });
    } finally {
      await stop();
    }
  });

  it('takes the events of a cell whose name holds dots on the subject eventsSubject gives it', async () => {
    const { knex, jetStream, logger, stop } = await startConsumer();
    try {
      // A subject token holds no '.', so the cell's subject is not its name.
      const cell = 'eu-west.shared-2';
      await jetStream.client
        .jetstream()
        .publish(
          eventsSubject(cell),
          encode({ events: requests(3, { cell }) }),
        );
      await jetStream.drained([EVENTS_DURABLE], 1);
      expect({
        stored: await usageRowsOf(knex, cell),
        logged: logger.error.mock.calls,
      }).toEqual({ stored: 3, logged: [] });
    } finally {
      await stop();
    }
  });
});
