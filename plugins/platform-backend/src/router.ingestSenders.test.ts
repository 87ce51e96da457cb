import { mockCredentials, TestBackend } from '@backstage/backend-test-utils';
import { SloStatus } from '@cellport/plugin-platform-common';
import { createTestDatabases } from '@cellport/plugin-platform-node-test-utils';
import { Knex } from 'knex';
import request from 'supertest';
import {
  counted,
  postEvents,
  requests,
  serviceAuthorization,
} from './__testUtils__/ingestEvents';
import { startPlatformBackend } from './__testUtils__/startPlatformBackend';

jest.setTimeout(120_000);

/**
 * Who may post events to POST /events, and for which cells. A batch writes cost and errors
 * into tenants, so only gateways may post one, with an external access token; with
 * `platform.ingest.cellsBySubject`, each token only for the cells listed for its subject, so
 * that one cell's token, leaked or misused, cannot move another cell's tenants' figures. The
 * whole backend on PostgreSQL, the figures read back through the cost and SLO routes.
 */

/** A cell's gateway (a static token), and a tool replaying spooled events of any cell (JWKS). */
const cellsBySubject = {
  'gateway-eu-west-shared-1': ['eu-west-shared-1'],
  'event-replayer': ['*'],
};

/** Events of each cell, the catalog's two and one it does not know yet. */
const CELLS = ['eu-west-shared-1', 'us-east-shared-1', 'ap-south-dedicated-9'];

/** Every cell's share of what the database holds, to tell what a refusal kept out. */
async function rowsByCell(knex: Knex) {
  const rows = await knex('platform_usage_events')
    .select('cell')
    .count('* as n')
    .groupBy('cell')
    .orderBy('cell');
  return Object.fromEntries(rows.map(row => [row.cell, Number(row.n)]));
}

/** A tenant's figures as its owners read them: month-to-date cost and each SLO's events. */
async function figuresOf(server: TestBackend['server'], tenant: string) {
  const read = (path: string) =>
    request(server)
      .get(`/api/platform${path}`)
      .set('authorization', mockCredentials.user.header());
  const budget = await read(`/cost/budget?tenant=${tenant}`);
  const slos = await read(`/slos?tenant=${tenant}&budgetSeries=false`);
  return {
    monthToDateUsd: budget.body.monthToDateUsd,
    slos: (slos.body.objectives as SloStatus[]).map(status => ({
      name: status.objective.name,
      totalEvents: status.totalEvents,
      goodEvents: status.goodEvents,
    })),
  };
}

describe('platform router: who may post events', () => {
  const databases = createTestDatabases();

  it('answers 401 to a caller without credentials before reading its body (no JSON parser error to the unauthenticated)', async () => {
    const knex = await databases.init('POSTGRES_16');
    const { server } = await startPlatformBackend(knex);
    const malformed = await postEvents(
      server,
      '{"events":[{"type":"usage"',
      mockCredentials.none.header(),
    );
    const wellFormed = await postEvents(
      server,
      { events: requests(1) },
      mockCredentials.none.header(),
    );
    expect({
      malformed: [malformed.status, malformed.body.error?.name],
      wellFormed: [wellFormed.status, wellFormed.body.error?.name],
    }).toEqual({
      malformed: [401, 'AuthenticationError'],
      wellFormed: [401, 'AuthenticationError'],
    });
  });

  it("answers 403 to another backend plugin's service token and stores nothing: any installed plugin could otherwise write cost into a tenant", async () => {
    const knex = await databases.init('POSTGRES_16');
    const { server } = await startPlatformBackend(knex);
    // What any backend plugin installed in the portal gets from auth.getPluginRequestToken.
    const pluginToken = serviceAuthorization('plugin:catalog');
    const answer = await postEvents(
      server,
      { events: requests(1, { costUsd: 1000 }) },
      pluginToken,
    );
    expect({
      status: answer.status,
      error: answer.body.error?.name,
      ...(await counted(knex)),
    }).toEqual({
      status: 403,
      error: 'NotAllowedError',
      usageRows: 0,
      decisionRows: 0,
      requests: 0,
      decisions: 0,
      cost: 0,
      tokens: 0,
    });
  });

  describe('with platform.ingest.cellsBySubject', () => {
    const platform = { ingest: { cellsBySubject } };

    it("refuses by index the events a token sends for a cell not listed for its subject, stores its own cell's events beside them, and leaves the other cell's tenant's cost and SLO figures as they were", async () => {
      const knex = await databases.init('POSTGRES_16');
      const { server } = await startPlatformBackend(knex, { platform });
      const euWest = serviceAuthorization('gateway-eu-west-shared-1');
      // northwind-retail's own traffic on eu-west, so that its figures have something to keep.
      // Stamped now: a minute ago may be last month in a month's first minute.
      const now = new Date().toISOString();
      const own = await postEvents(
        server,
        { events: requests(2, { timestamp: now }) },
        euWest,
      );
      expect(own.body).toMatchObject({ stored: 4, rejected: 0 });
      const before = await figuresOf(server, 'northwind-retail');

      // The eu-west token speaking for us-east: failed, costly requests of northwind-retail,
      // between brightpath-edu's requests on eu-west, which are the token's to send.
      const forged = requests(2, {
        cell: 'us-east-shared-1',
        costUsd: 500,
        outcome: 'error',
        errorClass: 'internal',
        status: 500,
      });
      const brightpath = requests(2, {
        tenant: 'brightpath-edu',
        agent: 'homework-helper',
        modelProfile: 'llama-3-1-70b-eu',
      });
      const answer = await postEvents(
        server,
        {
          events: [
            ...forged.slice(0, 2),
            ...brightpath.slice(0, 2),
            ...forged.slice(2),
            ...brightpath.slice(2),
          ],
        },
        euWest,
      );
      const refusal = (index: number) => ({
        index,
        message: `events[${index}].cell: gateway-eu-west-shared-1 may send events only for eu-west-shared-1`,
      });
      expect({
        status: answer.status,
        body: answer.body,
        northwind: await figuresOf(server, 'northwind-retail'),
        brightpath: (await counted(knex, 'brightpath-edu')).requests,
        byCell: await rowsByCell(knex),
      }).toEqual({
        status: 200,
        body: {
          received: 8,
          stored: 4,
          duplicates: 0,
          rejected: 4,
          rejections: [0, 1, 4, 5].map(refusal),
        },
        northwind: before,
        brightpath: 2,
        byCell: { 'eu-west-shared-1': 4 },
      });
      // The figures kept are northwind-retail's two requests, not an empty read.
      expect({
        monthToDateUsd: before.monthToDateUsd,
        sloEvents: before.slos.map(slo => slo.totalEvents),
      }).toEqual({ monthToDateUsd: 2, sloEvents: [2, 2, 2] });
    });

    it('answers 403 to a token whose subject it does not list, and stores nothing', async () => {
      const knex = await databases.init('POSTGRES_16');
      const { server } = await startPlatformBackend(knex, { platform });
      const answer = await postEvents(
        server,
        { events: requests(2) },
        serviceAuthorization('gateway-ap-south-dedicated-9'),
      );
      expect({
        status: answer.status,
        error: answer.body.error,
        ...(await counted(knex)),
      }).toEqual({
        status: 403,
        error: {
          name: 'NotAllowedError',
          message:
            'gateway-ap-south-dedicated-9 may post events for no cell (platform.ingest.cellsBySubject)',
        },
        usageRows: 0,
        decisionRows: 0,
        requests: 0,
        decisions: 0,
        cost: 0,
        tokens: 0,
      });
    });

    it("lets a subject listed with '*' post events for every cell, those the catalog knows and those it does not", async () => {
      const knex = await databases.init('POSTGRES_16');
      const { server } = await startPlatformBackend(knex, { platform });
      const answer = await postEvents(
        server,
        { events: CELLS.flatMap(cell => requests(1, { cell })) },
        // A JWKS token: its subject's prefix is Backstage's, not part of the name listed.
        serviceAuthorization('external:event-replayer'),
      );
      expect({
        status: answer.status,
        body: answer.body,
        byCell: await rowsByCell(knex),
      }).toEqual({
        status: 200,
        body: { received: 6, stored: 6, duplicates: 0, rejected: 0 },
        byCell: Object.fromEntries(CELLS.map(cell => [cell, 1])),
      });
    });
  });
});
