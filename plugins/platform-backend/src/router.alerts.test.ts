import { mockCredentials } from '@backstage/backend-test-utils';
import request from 'supertest';
import {
  as,
  NORTHWIND_DEV,
  OUTSIDER,
  SRE,
  tenantOwnerPolicy,
} from './__testUtils__/tenantOwnerPolicy';
import { startPlatformBackend } from './__testUtils__/startPlatformBackend';
import { createTestDatabases } from '@cellport/plugin-platform-node-test-utils';

jest.setTimeout(120_000);

const WEBHOOK_TOKEN = 'am+webhook/token=~.0';
const permissions = tenantOwnerPolicy();

/** Alertmanager's webhook payload (version 4), as it posts a group. */
function payload(
  status: 'firing' | 'resolved',
  alerts: Array<{ fingerprint: string; labels: Record<string, string> }>,
) {
  return {
    version: '4',
    groupKey: '{}/{severity=~"P0|P1"}:{alertname="CellportSloFastBurn"}',
    truncatedAlerts: 0,
    status,
    receiver: 'cellport-page',
    groupLabels: { alertname: 'CellportSloFastBurn' },
    commonLabels: {},
    commonAnnotations: {},
    externalURL: 'http://alertmanager.example:9093',
    alerts: alerts.map(({ fingerprint, labels }) => ({
      status,
      labels: { alertname: 'CellportSloFastBurn', severity: 'P0', ...labels },
      annotations: {
        summary: `AI Gateway in cell ${labels.cell} burns its budget`,
        dashboard: `http://localhost:3000/catalog/default/cell/${labels.cell}/dashboard`,
      },
      startsAt: '2026-12-03T10:00:00.123456789Z',
      endsAt:
        status === 'firing' ? '0001-01-01T00:00:00Z' : '2026-12-03T10:20:00Z',
      generatorURL: 'http://prometheus.example:9090/graph',
      fingerprint,
    })),
  };
}

describe('alert routes', () => {
  const databases = createTestDatabases();

  it.each(databases.eachSupportedId())(
    'take Alertmanager webhooks with a token and list alerts within the SLO read scope, on %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      const { server } = await startPlatformBackend(knex, {
        permissions: permissions.factory,
        platform: { alerts: { webhookToken: WEBHOOK_TOKEN } },
      });
      const webhook = '/api/platform/alerts/alertmanager';
      const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
      const firing = payload('firing', [
        { fingerprint: 'f-shared', labels: { cell: 'eu-west-shared-1' } },
        {
          fingerprint: 'f-dedicated',
          labels: { cell: 'meridian-dedicated', tenant: 'meridian-health' },
        },
        { fingerprint: 'f-empty-cell', labels: { cell: 'us-east-shared-1' } },
      ]);

      // Authentication comes before anything is read of the payload.
      const anonymous = await request(server).post(webhook).send({});
      expect(anonymous.status).toBe(401);
      expect(anonymous.body.error.message).toContain(
        'platform.alerts.webhookToken',
      );
      const wrong = await request(server)
        .post(webhook)
        .set(bearer(`${WEBHOOK_TOKEN}x`))
        .send(firing);
      expect(wrong.status).toBe(401);
      expect(JSON.stringify(wrong.body)).not.toContain(WEBHOOK_TOKEN);
      const user = await request(server)
        .post(webhook)
        .set(as(SRE))
        .send(firing);
      expect(user.status).toBe(403);
      // Express routes other spellings to the same handler: they are guarded alike.
      for (const spelling of [
        '/api/platform/ALERTS/alertmanager',
        '/api/platform/alerts/alertmanager/',
      ]) {
        const other = await request(server)
          .post(spelling)
          .set(as(SRE))
          .send(firing);
        expect(other.status).toBe(403);
      }

      const received = await request(server)
        .post(webhook)
        .set(bearer(WEBHOOK_TOKEN))
        .send(firing);
      expect(received.status).toBe(200);
      // The test catalog has no meridian-dedicated: stored all the same, and named.
      expect(received.body).toEqual({
        received: 3,
        opened: 3,
        resolved: 0,
        unknownCells: ['meridian-dedicated'],
      });
      // A repeat (Alertmanager's repeat_interval, or a retried delivery) opens nothing.
      const repeated = await request(server)
        .post(webhook)
        .set({ Authorization: mockCredentials.service.header() })
        .send(firing);
      expect(repeated.body).toMatchObject({
        received: 3,
        opened: 0,
        resolved: 0,
      });

      // Bad payloads: a 400 naming the field, never a 500.
      const noCell = payload('firing', [{ fingerprint: 'x', labels: {} }]);
      const missing = await request(server)
        .post(webhook)
        .set(bearer(WEBHOOK_TOKEN))
        .send(noCell);
      expect(missing.status).toBe(400);
      expect(missing.body.error.message).toContain('alerts.0.labels.cell');
      const badTime = payload('firing', [
        { fingerprint: 'x', labels: { cell: 'c' } },
      ]);
      badTime.alerts[0].startsAt = 'yesterday';
      const badTimeAnswer = await request(server)
        .post(webhook)
        .set(bearer(WEBHOOK_TOKEN))
        .send(badTime);
      expect(badTimeAnswer.status).toBe(400);
      expect(badTimeAnswer.body.error.message).toContain('alerts.0.startsAt');
      // A date-time the format takes but no timestamp stores: a leap second.
      badTime.alerts[0].startsAt = '2026-06-30T23:59:60Z';
      const leapSecond = await request(server)
        .post(webhook)
        .set(bearer(WEBHOOK_TOKEN))
        .send(badTime);
      expect(leapSecond.status).toBe(400);
      expect(leapSecond.body.error.message).toContain(
        'alerts.0.startsAt: must be a time that exists',
      );
      const hugeFingerprint = payload('firing', [
        { fingerprint: 'f'.repeat(65), labels: { cell: 'c' } },
      ]);
      const huge = await request(server)
        .post(webhook)
        .set(bearer(WEBHOOK_TOKEN))
        .send(hugeFingerprint);
      expect(huge.status).toBe(400);
      expect(huge.body.error.message).toContain('alerts.0.fingerprint');
      const notFour = await request(server)
        .post(webhook)
        .set(bearer(WEBHOOK_TOKEN))
        .send({ ...firing, version: '3' });
      expect(notFour.status).toBe(400);
      expect(notFour.body.error.message).toContain('version');

      // A burst: the largest group Alertmanager may send, and the same new alert delivered
      // twice at once (two Alertmanager replicas), counted as one incident.
      const burst = payload(
        'firing',
        Array.from({ length: 1000 }, (_, i) => ({
          fingerprint: `burst-${i}`,
          labels: { cell: 'us-east-shared-1', slo: `slo-${i}` },
        })),
      );
      const burstAnswer = await request(server)
        .post(webhook)
        .set(bearer(WEBHOOK_TOKEN))
        .send(burst);
      expect(burstAnswer.body).toEqual({
        received: 1000,
        opened: 1000,
        resolved: 0,
      });
      const tooMany = await request(server)
        .post(webhook)
        .set(bearer(WEBHOOK_TOKEN))
        .send({ ...burst, alerts: [...burst.alerts, burst.alerts[0]] });
      expect(tooMany.status).toBe(400);
      expect(tooMany.body.error.message).toContain('alerts');
      const twin = payload('firing', [
        { fingerprint: 'f-twin', labels: { cell: 'us-east-shared-1' } },
      ]);
      const twins = await Promise.all(
        [1, 2].map(() =>
          request(server).post(webhook).set(bearer(WEBHOOK_TOKEN)).send(twin),
        ),
      );
      expect(twins.map(t => t.status)).toEqual([200, 200]);
      expect(twins.reduce((sum, t) => sum + t.body.opened, 0)).toBe(1);
      await knex('platform_alerts')
        .where('cell', 'us-east-shared-1')
        .whereNot('fingerprint', 'f-empty-cell')
        .delete();

      const list = async (who: string, query = '') =>
        request(server).get(`/api/platform/alerts${query}`).set(as(who));
      const all = await list(SRE, '?state=firing');
      expect(all.status).toBe(200);
      expect(all.body.items.map((a: any) => a.fingerprint).sort()).toEqual([
        'f-dedicated',
        'f-empty-cell',
        'f-shared',
      ]);
      // Northwind's owners see the alerts of the shared cell hosting Northwind, no other.
      const own = await list(NORTHWIND_DEV);
      expect(own.body.items.map((a: any) => a.fingerprint)).toEqual([
        'f-shared',
      ]);
      expect((await list(OUTSIDER)).status).toBe(403);
      const byRef = await list(SRE, '?cell=cell:default/meridian-dedicated');
      expect(byRef.body.items).toEqual([
        expect.objectContaining({
          fingerprint: 'f-dedicated',
          cell: 'meridian-dedicated',
          tenant: 'meridian-health',
          severity: 'P0',
          state: 'firing',
          startsAt: '2026-12-03T10:00:00.123Z',
          summary: 'AI Gateway in cell meridian-dedicated burns its budget',
        }),
      ]);
      const badState = await list(SRE, '?state=burning');
      expect(badState.status).toBe(400);
      expect(badState.body.error.message).toMatch(/state: expected one of/);

      const resolved = await request(server)
        .post(webhook)
        .set(bearer(WEBHOOK_TOKEN))
        .send(
          payload('resolved', [
            { fingerprint: 'f-shared', labels: { cell: 'eu-west-shared-1' } },
          ]),
        );
      expect(resolved.body).toEqual({ received: 1, opened: 0, resolved: 1 });
      const after = await list(SRE, '?cell=eu-west-shared-1');
      expect(after.body.items).toEqual([
        expect.objectContaining({
          fingerprint: 'f-shared',
          state: 'resolved',
          endsAt: '2026-12-03T10:20:00.000Z',
        }),
      ]);
    },
  );

  it('answers a payload not sent as JSON with 415 naming its Content-Type', async () => {
    const knex = await databases.init('SQLITE_3');
    const { server } = await startPlatformBackend(knex, {
      platform: { alerts: { webhookToken: WEBHOOK_TOKEN } },
    });
    const body = JSON.stringify(
      payload('firing', [
        { fingerprint: 'f-text', labels: { cell: 'eu-west-shared-1' } },
      ]),
    );
    const answers = [];
    for (const contentType of ['text/plain', undefined]) {
      const post = request(server)
        .post('/api/platform/alerts/alertmanager')
        .set({ Authorization: `Bearer ${WEBHOOK_TOKEN}` });
      // A string is sent with the type set, a Buffer with none.
      const answer = await (contentType
        ? post.set('content-type', contentType).send(body)
        : post.send(Buffer.from(body)));
      answers.push([answer.status, answer.body.error?.message]);
    }
    expect(answers).toEqual([
      [415, 'Content-Type "text/plain": send it as application/json'],
      [415, 'Content-Type missing: send it as application/json'],
    ]);
    expect(await knex('platform_alerts').count('* as n')).toEqual([{ n: 0 }]);
  });

  it('refuses start and end times outside the years 2000 to 2099, naming the field', async () => {
    const knex = await databases.init('SQLITE_3');
    const { server } = await startPlatformBackend(knex, {
      platform: { alerts: { webhookToken: WEBHOOK_TOKEN } },
    });
    const post = (body: object) =>
      request(server)
        .post('/api/platform/alerts/alertmanager')
        .set({ Authorization: `Bearer ${WEBHOOK_TOKEN}` })
        .send(body);
    const alert = (status: 'firing' | 'resolved', times: object) => {
      const body = payload(status, [
        { fingerprint: 'f-time', labels: { cell: 'eu-west-shared-1' } },
      ]);
      Object.assign(body.alerts[0], times);
      return body;
    };
    const answers = [];
    for (const body of [
      alert('firing', { startsAt: '2100-01-01T00:00:00Z' }),
      alert('firing', { startsAt: '9999-12-31T23:59:59Z' }),
      alert('firing', { startsAt: '1999-12-31T23:59:59Z' }),
      alert('resolved', { endsAt: '9999-12-31T23:59:59Z' }),
    ]) {
      const answer = await post(body);
      answers.push([answer.status, answer.body.error?.message]);
    }
    const years = 'must be in the years 2000 to 2099';
    expect(answers).toEqual([
      [400, `Invalid body: alerts.0.startsAt: ${years}`],
      [400, `Invalid body: alerts.0.startsAt: ${years}`],
      [400, `Invalid body: alerts.0.startsAt: ${years}`],
      [400, `Invalid body: alerts.0.endsAt: ${years}`],
    ]);
    // Alertmanager's "no end yet" on a firing alert is no time to refuse.
    const firing = await post(
      alert('firing', { startsAt: '2099-12-31T23:59:59Z' }),
    );
    expect(firing.body).toEqual({ received: 1, opened: 1, resolved: 0 });
  });

  it('caps label and annotation values, and pages the list', async () => {
    const knex = await databases.init('SQLITE_3');
    const { server } = await startPlatformBackend(knex, {
      platform: { alerts: { webhookToken: WEBHOOK_TOKEN } },
    });
    const post = (body: object) =>
      request(server)
        .post('/api/platform/alerts/alertmanager')
        .set({ Authorization: `Bearer ${WEBHOOK_TOKEN}` })
        .send(body);
    const big = payload('firing', [
      {
        fingerprint: 'f-big',
        labels: { cell: 'eu-west-shared-1', note: 'x'.repeat(4097) },
      },
    ]);
    const bigLabel = await post(big);
    expect(bigLabel.status).toBe(400);
    expect(bigLabel.body.error.message).toContain('alerts.0.labels.note');
    const longSummary = payload('firing', [
      {
        fingerprint: 'f-big',
        labels: { cell: 'eu-west-shared-1', note: 'x'.repeat(4096) },
      },
    ]);
    longSummary.alerts[0].annotations.summary = 'y'.repeat(16385);
    const bigAnnotation = await post(longSummary);
    expect(bigAnnotation.status).toBe(400);
    expect(bigAnnotation.body.error.message).toContain(
      'alerts.0.annotations.summary',
    );

    const many = payload(
      'firing',
      Array.from({ length: 3 }, (_, i) => ({
        fingerprint: `f-${i}`,
        labels: { cell: 'eu-west-shared-1' },
      })),
    );
    expect((await post(many)).status).toBe(200);
    const list = (query: string) =>
      request(server).get(`/api/platform/alerts${query}`).set(as(SRE));
    const first = await list('?limit=2');
    expect(first.body.items.map((a: any) => a.fingerprint)).toEqual([
      'f-2',
      'f-1',
    ]);
    const rest = await list(`?limit=2&cursor=${first.body.nextCursor}`);
    expect(rest.body).toEqual({
      items: [expect.objectContaining({ fingerprint: 'f-0' })],
    });
    for (const limit of ['0', '501']) {
      expect((await list(`?limit=${limit}`)).status).toBe(400);
    }
  });
});
