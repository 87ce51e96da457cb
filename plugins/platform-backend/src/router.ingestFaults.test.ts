import { mockCredentials, TestBackend } from '@backstage/backend-test-utils';
import { PlatformEvent } from '@cellport/plugin-platform-common';
import {
  createTestDatabases,
  makeRequest,
  makeUsage,
  pollUntil,
  postgresThroughLink,
} from '@cellport/plugin-platform-node-test-utils';
import { Knex } from 'knex';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'nats';
import request from 'supertest';
import { startPlatformBackend } from './__testUtils__/startPlatformBackend';
import { freePort, startTestProcess } from './__testUtils__/testProcess';

jest.setTimeout(60_000);

/**
 * POST /events under what production brings: gateways retrying overlapping batches at once,
 * the same events arriving by HTTP and by NATS, values no gateway should send, and the database
 * lost in the middle of a batch. The promise is the gateway's to rely on: a 200 means every
 * event is counted exactly once; a 4xx means the batch can never be taken (it is set aside, so
 * it must name the field); anything the portal cannot do now is a 503, which the gateway
 * retries, never a 200 that lost events or a 4xx that discards them.
 */

const recent = () => new Date(Date.now() - 60_000).toISOString();

/** `n` requests: a routing decision and a usage event each, costing `costUsd`. */
function requests(n: number, costUsd = 1): PlatformEvent[] {
  return Array.from({ length: n }, () =>
    makeRequest({ timestamp: recent(), costUsd, inputTokens: 100 }),
  ).flat();
}

/** What the database counted: raw rows and the day rollups. */
async function counted(knex: Knex) {
  const [usage] = await knex('platform_usage_events').count('* as n');
  const [decisions] = await knex('platform_routing_decisions').count('* as n');
  const [day] = await knex('platform_rollups_day').select(
    knex.raw('coalesce(sum(requests), 0) as requests'),
    knex.raw('coalesce(sum(decisions), 0) as decisions'),
    knex.raw('coalesce(sum(cost_usd), 0) as cost'),
  );
  return {
    usageRows: Number(usage.n),
    decisionRows: Number(decisions.n),
    requests: Number(day.requests),
    decisions: Number(day.decisions),
    cost: Number(day.cost),
  };
}

/** Posts a batch as a gateway does; a string is sent as it is. */
function postEvents(server: TestBackend['server'], body: object | string) {
  return request(server)
    .post('/api/platform/events')
    .set('authorization', mockCredentials.service.header())
    .set('content-type', 'application/json')
    .send(typeof body === 'string' ? body : JSON.stringify(body));
}

describe('platform router: event ingest under faults', () => {
  const databases = createTestDatabases();

  it('answers 200 to concurrent overlapping batches from retrying gateways and counts every event once, on PostgreSQL', async () => {
    const knex = await databases.init('POSTGRES_16');
    const { server } = await startPlatformBackend(knex);
    let sent = 0;
    const statuses = new Set<number>();
    for (let round = 0; round < 3; round++) {
      const pool = requests(400);
      sent += 400;
      // Six gateways at once, each with a window of 400 events overlapping its neighbours',
      // each in its own order.
      const batches = Array.from({ length: 6 }, (_, i) =>
        pool
          .slice(i * 100, i * 100 + 400)
          .map(event => ({ event, key: Math.random() }))
          .sort((a, b) => a.key - b.key)
          .map(({ event }) => event),
      );
      const answers = await Promise.all(
        batches.map(events => postEvents(server, { events })),
      );
      for (const answer of answers) statuses.add(answer.status);
    }
    expect({ statuses: [...statuses], ...(await counted(knex)) }).toEqual({
      statuses: [200],
      usageRows: sent,
      decisionRows: sent,
      requests: sent,
      decisions: sent,
      cost: sent,
    });
  });

  it('refuses values outside the contract with a 400 naming the field, never a 500, and stores odd but valid ones', async () => {
    const knex = await databases.init('POSTGRES_16');
    const { server } = await startPlatformBackend(knex);
    const usage = (change: object = {}) => ({
      ...makeUsage({ timestamp: recent() }),
      ...change,
    });
    const json = JSON.stringify({ events: [usage({ costUsd: 1 })] });
    const [beforeProvider, afterProvider] = JSON.stringify({
      events: [usage({ provider: 'P' })],
    }).split('"provider":"P"');

    const refused: Array<[string, object | string, RegExp]> = [
      [
        'the largest date JavaScript has',
        { events: [usage({ timestamp: '+275760-09-13T00:00:00Z' })] },
        /events\[0\]\.timestamp/,
      ],
      [
        'more events than a batch may hold',
        { events: Array.from({ length: 5001 }, () => usage()) },
        /events/,
      ],
      ['events that are no array', { events: { 0: usage() } }, /events/],
      [
        'a schema version this portal does not know',
        { events: [usage({ schemaVersion: 2 })] },
        /events\[0\]\.schemaVersion/,
      ],
      // Bodies no JSON encoder makes.
      [
        'a cost too large for a double (Infinity)',
        json.replace('"costUsd":1', '"costUsd":1e999'),
        /events\[0\]\.costUsd/,
      ],
      [
        'arrays nested 100,000 deep',
        `{"events":[${'['.repeat(100_000)}${']'.repeat(100_000)}]}`,
        /events/,
      ],
      ['JSON cut short', '{"events":[{"type":"usage"', /JSON/],
    ];
    const answers = [];
    for (const [what, body] of refused) {
      const answer = await postEvents(server, body);
      answers.push({
        what,
        status: answer.status,
        message: String(answer.body?.error?.message),
      });
    }
    expect(answers).toEqual(
      refused.map(([what, , message]) => ({
        what,
        status: 400,
        message: expect.stringMatching(message),
      })),
    );

    // An object nested 50,000 deep in a field the contract does not have is ignored, and
    // bytes that are no UTF-8 are taken as text with replacement characters.
    const deepField = await postEvents(
      server,
      `{"events":[${JSON.stringify(usage()).replace(
        '"cached":false',
        `"cached":false,"x":${'{"a":'.repeat(50_000)}1${'}'.repeat(50_000)}`,
      )}]}`,
    );
    // Sent as bytes: supertest would encode a Buffer as JSON.
    const notUtf8 = await fetch(
      `http://127.0.0.1:${server.port()}/api/platform/events`,
      {
        method: 'POST',
        headers: {
          authorization: mockCredentials.service.header(),
          'content-type': 'application/json',
        },
        body: Buffer.concat([
          Buffer.from(`${beforeProvider}"provider":"`),
          Buffer.from([0xff, 0xfe, 0xc3]),
          Buffer.from(`"${afterProvider}`),
        ]),
      },
    );
    const notUtf8Body: { stored?: number } = await notUtf8.json();
    // The extremes the contract allows: the largest latency, the smallest cost, a tenant the
    // catalog does not know.
    const extremes = await postEvents(server, {
      events: [
        usage({ gatewayOverheadMs: 1e308, totalLatencyMs: 1e308 }),
        usage({ costUsd: 5e-324 }),
        usage({ tenant: 'tenant-not-in-the-catalog' }),
      ],
    });
    expect([
      [deepField.status, deepField.body.stored],
      [notUtf8.status, notUtf8Body.stored],
      [extremes.status, extremes.body.stored],
    ]).toEqual([
      [200, 1],
      [200, 1],
      [200, 3],
    ]);

    // The pages reading them answer.
    const reads = [];
    for (const path of [
      '/traffic',
      '/cost/breakdown',
      '/slos?tenant=northwind-retail',
    ]) {
      const answer = await request(server)
        .get(`/api/platform${path}`)
        .set('authorization', mockCredentials.user.header());
      reads.push([path, answer.status]);
    }
    expect(reads).toEqual([
      ['/traffic', 200],
      ['/cost/breakdown', 200],
      ['/slos?tenant=northwind-retail', 200],
    ]);
  });

  it('counts events sent by HTTP and by NATS once, keeping the first content when a replay differs', async () => {
    const knex = await databases.init('POSTGRES_16');
    const port = await freePort();
    const dir = await mkdtemp(join(tmpdir(), 'cellport-ingest-nats-'));
    const nats = await startTestProcess(
      'nats-server',
      ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', dir],
      { ready: /Server is ready/, timeoutMs: 20_000 },
    );
    const url = `nats://127.0.0.1:${port}`;
    const stream = 'CELLPORT_EVENTS';
    const durable = 'platform-backend';
    const nc = await connect({ servers: url });
    try {
      const { server } = await startPlatformBackend(knex, {
        platform: {
          nats: {
            enabled: true,
            servers: [url],
            stream,
            subjects: ['cellport.events.>'],
            durable,
            batchSize: 16,
            retryDelayMs: 100,
          },
        },
      });
      const batch = requests(10);
      const first = await postEvents(server, { events: batch });
      expect(first.body).toMatchObject({ stored: 20, duplicates: 0 });

      // The same batch by NATS, then again with other content (a gateway's bug).
      const changed = batch.map(event =>
        event.type === 'usage'
          ? { ...event, costUsd: 100, inputTokens: 9999 }
          : event,
      );
      const js = nc.jetstream();
      const subject = 'cellport.events.eu-west-shared-1';
      await js.publish(subject, Buffer.from(JSON.stringify({ events: batch })));
      await js.publish(
        subject,
        Buffer.from(JSON.stringify({ events: changed })),
      );
      const manager = await nc.jetstreamManager();
      await pollUntil(
        async () => {
          const info = await manager.consumers.info(stream, durable);
          return info.ack_floor.stream_seq === 2 && info.num_ack_pending === 0
            ? true
            : undefined;
        },
        {
          deadlineMs: 20_000,
          intervalMs: 50,
          describe: () => 'the portal acked both NATS messages',
        },
      );
      const again = await postEvents(server, { events: changed });
      const [{ maxCost }] = await knex('platform_usage_events').max(
        'cost_usd as maxCost',
      );
      expect({
        again: again.body,
        ...(await counted(knex)),
        maxCost: Number(maxCost),
      }).toEqual({
        again: { received: 20, stored: 0, duplicates: 20, rejected: 0 },
        usageRows: 10,
        decisionRows: 10,
        requests: 10,
        decisions: 10,
        cost: 10,
        maxCost: 1,
      });
    } finally {
      await nc.close();
      await nats.kill();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('answers 503 without the database words when the database is lost mid-batch, never 200 or 4xx, and counts the retried batch once', async () => {
    const direct = await databases.init('POSTGRES_16');
    const linked = await postgresThroughLink(direct);
    try {
      const { server } = await startPlatformBackend(linked.knex);
      const batch = requests(2500);
      // then() sends it now; the link is cut once its insert runs in PostgreSQL.
      const midBatch = postEvents(server, { events: batch }).then(
        answer => answer,
      );
      await linked.cutWhileInserting();
      const lostMidBatch = await midBatch;
      const whileLost = await postEvents(server, { events: requests(5) });
      await linked.link.open();

      // The gateway sends the same batch again until the portal takes it.
      const retried = await pollUntil(
        async () => {
          const answer = await postEvents(server, { events: batch });
          return answer.status === 200 ? answer : undefined;
        },
        {
          deadlineMs: 20_000,
          describe: () => 'the batch taken once the database is back',
        },
      );
      const unavailable = {
        status: 503,
        error: {
          name: 'ServiceUnavailableError',
          message: expect.not.stringMatching(
            /connection|rollback|terminated|knex|pg|insert|select/i,
          ),
        },
      };
      expect(
        [lostMidBatch, whileLost].map(answer => ({
          status: answer.status,
          error: answer.body.error,
        })),
      ).toEqual([unavailable, unavailable]);
      expect(retried.body).toMatchObject({ received: 5000, rejected: 0 });
      expect(await counted(direct)).toMatchObject({
        usageRows: 2500,
        requests: 2500,
      });
    } finally {
      await linked.close();
    }
  });
});
