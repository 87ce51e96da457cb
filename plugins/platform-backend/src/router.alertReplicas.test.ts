import request from 'supertest';
import { recordingNotifications } from './__testUtils__/recordingNotifications';
import { startPlatformBackend } from './__testUtils__/startPlatformBackend';
import { createTestDatabases } from '@cellport/plugin-platform-node-test-utils';

jest.setTimeout(120_000);

const WEBHOOK_TOKEN = 'replicas-webhook-token';

/** Alertmanager's webhook payload (version 4) for alerts of one SLO owner. */
function payload(status: 'firing' | 'resolved', fingerprints: string[]) {
  return {
    version: '4',
    groupKey: '{}:{alertname="CellportSloFastBurn"}',
    truncatedAlerts: 0,
    status,
    receiver: 'cellport-page',
    groupLabels: {},
    commonLabels: {},
    commonAnnotations: {},
    externalURL: 'http://alertmanager.example:9093',
    alerts: fingerprints.map(fingerprint => ({
      status,
      labels: {
        alertname: 'CellportSloFastBurn',
        cell: 'eu-west-shared-1',
        severity: 'P0',
        owner: 'group:default/platform-sre',
      },
      annotations: { summary: `Gateway burns its budget (${fingerprint})` },
      startsAt: '2026-12-03T10:00:00Z',
      endsAt:
        status === 'firing' ? '0001-01-01T00:00:00Z' : '2026-12-03T10:20:00Z',
      generatorURL: 'http://prometheus.example:9090/graph',
      fingerprint,
    })),
  };
}

/**
 * Two portal replicas on one database behind one Alertmanager: each incident's resolution is
 * stored, counted and notified once, whichever replica takes which copy.
 */
describe('alert webhook on two portal replicas', () => {
  const databases = createTestDatabases();

  it.each(databases.eachSupportedId())(
    'resolves and notifies an incident once when its resolution reaches both replicas at once, on %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      const notifications = recordingNotifications();
      const start = () =>
        startPlatformBackend(knex, {
          features: [notifications.factory],
          platform: { alerts: { webhookToken: WEBHOOK_TOKEN } },
        });
      const replicas = [await start(), await start()];
      const post = (replica: number, body: object) =>
        request(replicas[replica].server)
          .post('/api/platform/alerts/alertmanager')
          .set({ Authorization: `Bearer ${WEBHOOK_TOKEN}` })
          .send(body);
      const resolvedIn = (answers: request.Response[]) => {
        expect([...new Set(answers.map(a => a.status))]).toEqual([200]);
        return answers.reduce((n, a) => n + a.body.resolved, 0);
      };
      const titles = () =>
        notifications.sent.map(s => s.payload.title.split(':')[0]);

      expect((await post(0, payload('firing', ['fp-x']))).body.opened).toBe(1);
      const copies = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          post(i % 2, payload('resolved', ['fp-x'])),
        ),
      );
      expect(resolvedIn(copies)).toBe(1);
      expect(titles()).toEqual(['P0 firing', 'Resolved']);

      // A whole group resolved, posted to both replicas at once: each alert resolved once.
      const group = Array.from({ length: 100 }, (_, i) => `fp-group-${i}`);
      expect((await post(0, payload('firing', group))).body.opened).toBe(100);
      notifications.sent.length = 0;
      const both = await Promise.all([
        post(0, payload('resolved', group)),
        post(1, payload('resolved', group)),
      ]);
      expect(resolvedIn(both)).toBe(100);
      expect(titles()).toEqual(group.map(() => 'Resolved'));
    },
  );
});
