import { mockCredentials } from '@backstage/backend-test-utils';
import notificationsPlugin from '@backstage/plugin-notifications-backend';
import signalsPlugin from '@backstage/plugin-signals-backend';
import { Entity } from '@backstage/catalog-model';
import request from 'supertest';
import { TEST_ENTITIES } from './__testUtils__/entities';
import { startPlatformBackend } from './__testUtils__/startPlatformBackend';
import { teamWithMembers } from './__testUtils__/teams';
import { createTestDatabases } from '@cellport/plugin-platform-node-test-utils';
import { Knex } from 'knex';

jest.setTimeout(120_000);

const WEBHOOK_TOKEN = 'am-webhook-token';
const LENA = 'user:default/lena.fischer';
const MARK = 'user:default/mark.brightpath';
const RAVI = 'user:default/ravi.meridian';
const SAM = 'user:default/sam.sre';

/** A dedicated cell of the platform's SRE team, hosting one tenant of its own. */
const DEDICATED: Entity[] = [
  {
    apiVersion: 'cellport.dev/v1alpha1',
    kind: 'Tenant',
    metadata: { name: 'meridian-bank' },
    spec: {
      owner: 'group:meridian-risk-ai',
      tier: 'enterprise',
      isolation: 'dedicated',
      homeRegion: 'us-east-1',
      dataClassification: 'CONFIDENTIAL',
      monthlyBudgetUsd: 40000,
      rateLimits: { requestsPerMinute: 3000, tokensPerMinute: 2000000 },
      modelAllowlist: ['azure-gpt-4o-mini-eu'],
    },
  },
  {
    apiVersion: 'cellport.dev/v1alpha1',
    kind: 'Cell',
    metadata: {
      name: 'meridian-dedicated',
      annotations: { 'backstage.io/kubernetes-id': 'meridian-dedicated' },
    },
    spec: {
      owner: 'group:platform-sre',
      tier: 'dedicated',
      cloud: 'aws',
      region: 'us-east-1',
      cluster: 'eks-us-east-1-meridian',
      namespaces: ['cellport-runtime'],
      capacity: { maxTenants: 1, maxRequestsPerSecond: 1000 },
      tenants: ['meridian-bank'],
    },
  },
];

/** Who is in which group, as the catalog's relations say: the notifications' recipients. */
const PEOPLE = [
  ...teamWithMembers('northwind-commerce', [LENA]),
  ...teamWithMembers('brightpath-learning', [MARK]),
  ...teamWithMembers('meridian-risk-ai', [RAVI]),
  ...teamWithMembers('platform-sre', [SAM]),
];

function alertmanagerPost(
  status: 'firing' | 'resolved',
  labels: Record<string, string>,
) {
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
    alerts: [
      {
        status,
        labels: {
          alertname: 'CellportSloFastBurn',
          severity: 'P0',
          service: 'ai-gateway',
          ...labels,
        },
        annotations: { summary: 'Gateway availability burns 14.4× too fast' },
        startsAt: '2026-12-03T10:00:00Z',
        endsAt:
          status === 'firing' ? '0001-01-01T00:00:00Z' : '2026-12-03T10:20:00Z',
        generatorURL: 'http://prometheus.example:9090/graph',
        fingerprint: `fp-${labels.tenant ?? labels.cell}`,
      },
    ],
  };
}

async function startWithInboxes(knex: Knex) {
  const { server } = await startPlatformBackend(knex, {
    features: [notificationsPlugin, signalsPlugin],
    entities: [...TEST_ENTITIES, ...DEDICATED, ...PEOPLE],
    config: { app: { baseUrl: 'http://localhost:3000' } },
    platform: { alerts: { webhookToken: WEBHOOK_TOKEN } },
  });
  const post = (body: object) =>
    request(server)
      .post('/api/platform/alerts/alertmanager')
      .set({ Authorization: `Bearer ${WEBHOOK_TOKEN}` })
      .send(body);
  const inbox = async (user: string) => {
    const response = await request(server)
      .get('/api/notifications/notifications')
      .set({ Authorization: mockCredentials.user.header(user) });
    expect(response.status).toBe(200);
    return response.body.notifications as Array<{
      read?: string | null;
      payload: { title: string; severity: string; link: string };
    }>;
  };
  return { post, inbox };
}

describe('alerts reach their owners as Backstage notifications', () => {
  const databases = createTestDatabases();

  it.each(databases.eachSupportedId())(
    "notifies the tenant's owning group once per incident, and resolves it, on %p",
    async databaseId => {
      const knex = await databases.init(databaseId);
      const { post, inbox } = await startWithInboxes(knex);

      const northwind = {
        cell: 'eu-west-shared-1',
        tenant: 'northwind-retail',
      };
      expect((await post(alertmanagerPost('firing', northwind))).status).toBe(
        200,
      );
      // Alertmanager repeats a firing alert until it resolves: no second message.
      expect((await post(alertmanagerPost('firing', northwind))).status).toBe(
        200,
      );
      const fired = await inbox(LENA);
      expect(fired).toHaveLength(1);
      expect(fired[0].payload).toMatchObject({
        title: 'P0 firing: Gateway availability burns 14.4× too fast',
        severity: 'critical',
        link: '/catalog/default/cell/eu-west-shared-1/dashboard',
      });
      // Another tenant's owners hear nothing of it.
      expect(await inbox(MARK)).toEqual([]);

      expect((await post(alertmanagerPost('resolved', northwind))).status).toBe(
        200,
      );
      const resolved = await inbox(LENA);
      expect(resolved).toHaveLength(1);
      expect(resolved[0].payload).toMatchObject({
        title: 'Resolved: Gateway availability burns 14.4× too fast',
        severity: 'low',
      });

      // A cell-wide alert goes to the cell's owner, here a group nobody is in: no error.
      const cellWide = await post(
        alertmanagerPost('firing', { cell: 'us-east-shared-1' }),
      );
      expect(cellWide.status).toBe(200);
      expect(await inbox(LENA)).toHaveLength(1);
    },
  );

  it.each(databases.eachSupportedId())(
    "notifies a single-tenant cell's tenant owners of its cell-wide alerts, on %p",
    async databaseId => {
      const { post, inbox } = await startWithInboxes(
        await databases.init(databaseId),
      );
      // Rules of a dedicated cell need not label the tenant: the cell has only one.
      const answer = await post(
        alertmanagerPost('firing', { cell: 'meridian-dedicated' }),
      );
      expect(answer.status).toBe(200);
      expect(await inbox(RAVI)).toEqual([
        expect.objectContaining({
          payload: expect.objectContaining({
            title: 'P0 firing: Gateway availability burns 14.4× too fast',
          }),
        }),
      ]);
      expect(await inbox(SAM)).toEqual([]);
    },
  );

  it.each(databases.eachSupportedId())(
    'notifies the fallback owner of an alert on a cell the catalog does not have, and says so, on %p',
    async databaseId => {
      const { post, inbox } = await startWithInboxes(
        await databases.init(databaseId),
      );
      const answer = await post(
        alertmanagerPost('firing', { cell: 'no-such-cell' }),
      );
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual({
        received: 1,
        opened: 1,
        resolved: 0,
        unknownCells: ['no-such-cell'],
      });
      // platform.alerts.fallbackOwner's default: the platform's SRE group.
      expect(await inbox(SAM)).toEqual([
        expect.objectContaining({
          payload: expect.objectContaining({
            title: 'P0 firing: Gateway availability burns 14.4× too fast',
          }),
        }),
      ]);
      // Its repeat opens nothing, and still says the cell is unknown.
      const repeat = await post(
        alertmanagerPost('firing', { cell: 'no-such-cell' }),
      );
      expect(repeat.body.unknownCells).toEqual(['no-such-cell']);
    },
  );
});
