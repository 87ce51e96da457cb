import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { BackstageCredentials } from '@backstage/backend-plugin-api';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { platformDeployApplyPermission } from '@cellport/plugin-platform-common';
// The real platform backend runs beside the driver: the gate reads its SLOs over HTTP.
// eslint-disable-next-line @backstage/no-mixed-plugin-imports
import platformPlugin from '@cellport/plugin-platform-backend';
import {
  closedPort,
  createTestDatabases,
  FakeKubernetesApiServer,
  makeRequest,
  TEST_ENTITIES,
} from '@cellport/plugin-platform-node-test-utils';
import request from 'supertest';
import { platformDeployPlugin } from './plugin';
import { testClusterConfig } from './__testUtils__/deployService';

jest.setTimeout(120_000);

const SRE = 'user:default/sre-on-call';
const DEVELOPER = 'user:default/lena.fischer';
const OUTSIDER = 'user:default/guest-without-access';
const TOKEN = 'sa-token-for-tests';
const CELL = 'cell:default/eu-west-shared-1';
const INFERENCE = 'inferencedeployment:default/llama-3-1-70b-eu';

/** As the production policy decides: SREs apply, others read the plan, outsiders nothing. */
function decide(credentials: BackstageCredentials, permission: string) {
  const user = (credentials.principal as { userEntityRef?: string })
    .userEntityRef;
  if (user === OUTSIDER) return AuthorizeResult.DENY;
  if (permission === platformDeployApplyPermission.name && user !== SRE) {
    return AuthorizeResult.DENY;
  }
  return AuthorizeResult.ALLOW;
}

const permissions = mockServices.permissions.mock({
  authorize: async (requests, { credentials }) =>
    requests.map(r => ({ result: decide(credentials, r.permission.name) })),
  // The platform backend's tenant-scoped reads (the gate's `/slos`) ask conditionally.
  authorizeConditional: async (requests, { credentials }) =>
    requests.map(r => ({
      result: decide(credentials, r.permission.name) as
        | AuthorizeResult.ALLOW
        | AuthorizeResult.DENY,
    })),
});

/** A cell whose cluster is configured at an address where nothing answers. */
const UNREACHABLE_CELL = {
  apiVersion: 'cellport.dev/v1alpha1',
  kind: 'Cell',
  metadata: {
    name: 'ap-south-shared-1',
    annotations: { 'backstage.io/kubernetes-id': 'ap-south-shared-1' },
  },
  spec: {
    owner: 'group:platform-sre',
    tier: 'shared',
    cloud: 'aws',
    region: 'ap-south-1',
    cluster: 'eks-ap-south-1',
    namespaces: ['tenant-none'],
    capacity: { maxTenants: 10, maxRequestsPerSecond: 100 },
    tenants: [],
  },
};

describe('platform-deploy router', () => {
  const databases = createTestDatabases();
  let cluster: FakeKubernetesApiServer;
  beforeEach(async () => {
    cluster = new FakeKubernetesApiServer({ token: TOKEN });
    await cluster.start();
  });
  afterEach(() => cluster.stop());

  it.each(databases.eachSupportedId())(
    'plans, applies with permission and the error budget gate, reports status and audits, on %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      const { server } = await startTestBackend({
        // The platform backend too: the error budget gate reads its SLOs over HTTP.
        features: [
          platformDeployPlugin,
          platformPlugin,
          mockServices.database.factory({ knex }),
          catalogServiceMock.factory({
            entities: [...TEST_ENTITIES, UNREACHABLE_CELL],
          }),
          permissions.factory,
          mockServices.rootConfig.factory({
            data: {
              platform: { reconciler: { enabled: false } },
              kubernetes: {
                serviceLocatorMethod: { type: 'multiTenant' },
                clusterLocatorMethods: [
                  {
                    type: 'config',
                    clusters: [
                      {
                        name: 'eks-eu-west-1-shared',
                        url: cluster.url,
                        authProvider: 'serviceAccount',
                        serviceAccountToken: TOKEN,
                      },
                      {
                        name: 'eks-ap-south-1',
                        url: `http://127.0.0.1:${await closedPort()}`,
                        authProvider: 'serviceAccount',
                        serviceAccountToken: TOKEN,
                      },
                    ],
                  },
                ],
              },
            },
          }),
        ],
      });
      const as = (user: string) => ({
        Authorization: mockCredentials.user.header(user),
      });

      // --- each plugin lists the permissions it checks: apply is the driver's alone
      const listed = async (plugin: string) =>
        (
          await request(server)
            .get(`/api/${plugin}/.well-known/backstage/permissions/metadata`)
            .set({ Authorization: mockCredentials.service.header() })
        ).body.permissions.map((p: { name: string }) => p.name);
      expect(await listed('platform-deploy')).toEqual([
        'platform.deploy.apply',
        'platform.runtime.read',
      ]);
      expect(await listed('platform')).not.toContain('platform.deploy.apply');
      expect(await listed('platform')).toContain('platform.runtime.read');

      // --- input
      const missing = await request(server)
        .get('/api/platform-deploy/plan')
        .set(as(SRE));
      expect(missing.status).toBe(400);
      expect(missing.body.error.message).toMatch(/^Invalid query: entityRef/);
      const agent = await request(server)
        .get(
          '/api/platform-deploy/plan?entityRef=agent:default/checkout-assistant',
        )
        .set(as(SRE));
      expect(agent.status).toBe(400);
      expect(agent.body.error.message).toMatch(
        /entityRef: must be a Cell or an InferenceDeployment/,
      );
      expect(agent.body.error.stack).toBeUndefined();
      expect(
        (
          await request(server)
            .get('/api/platform-deploy/plan?entityRef=cell:default/nowhere')
            .set(as(SRE))
        ).status,
      ).toBe(404);
      const badBody = await request(server)
        .post('/api/platform-deploy/apply')
        .set(as(SRE))
        .send({ entityRef: 42, overrideReason: 'x'.repeat(2001) });
      expect(badBody.status).toBe(400);
      expect(badBody.body.error.message).toMatch(/entityRef/);
      expect(badBody.body.error.message).toMatch(/overrideReason/);

      // --- plan: developers may read it, outsiders not
      const plan = await request(server)
        .get(`/api/platform-deploy/plan?entityRef=${CELL}`)
        .set(as(DEVELOPER));
      expect(plan.status).toBe(200);
      expect(plan.body.counts).toEqual({
        create: 23,
        change: 0,
        unchanged: 0,
        prune: 0,
      });
      expect(
        (
          await request(server)
            .get(`/api/platform-deploy/plan?entityRef=${CELL}`)
            .set(as(OUTSIDER))
        ).status,
      ).toBe(403);
      const unreachable = await request(server)
        .get(
          '/api/platform-deploy/plan?entityRef=cell:default/ap-south-shared-1',
        )
        .set(as(SRE));
      expect(unreachable.status).toBe(503);
      expect(unreachable.body.error.message).toMatch(
        /Cluster "eks-ap-south-1" \(http:\/\/127\.0\.0\.1:\d+\) is unreachable/,
      );
      expect(JSON.stringify(unreachable.body)).not.toContain(TOKEN);
      const offline = await request(server)
        .get(
          '/api/platform-deploy/plan?entityRef=cell:default/us-east-shared-1',
        )
        .set(as(SRE));
      expect(offline.body.cluster).toMatchObject({
        name: 'eks-us-east-1-shared',
        configured: false,
      });

      // --- apply: only with platform.deploy.apply
      const denied = await request(server)
        .post('/api/platform-deploy/apply')
        .set(as(DEVELOPER))
        .send({ entityRef: CELL });
      expect(denied.status).toBe(403);
      expect(denied.body.error.message).toMatch(/platform\.deploy\.apply/);
      expect(cluster.writes()).toEqual([]);

      const applied = await request(server)
        .post('/api/platform-deploy/apply')
        .set(as(SRE))
        .send({ entityRef: CELL });
      expect(applied.status).toBe(200);
      expect(applied.body).toMatchObject({
        result: 'applied',
        counts: { applied: 23, changed: 23 },
      });
      expect(cluster.writes()).toHaveLength(23);

      const noCluster = await request(server)
        .post('/api/platform-deploy/apply')
        .set(as(SRE))
        .send({ entityRef: 'cell:default/us-east-shared-1' });
      expect(noCluster.status).toBe(400);
      expect(noCluster.body.error.message).toMatch(
        /^No cluster configured for cell "us-east-shared-1"/,
      );

      const status = await request(server)
        .get(`/api/platform-deploy/status?entityRef=${CELL}`)
        .set(as(DEVELOPER));
      expect(status.status).toBe(200);
      expect(status.body.workloads.map((w: any) => w.name)).toEqual([
        'cellport-gateway',
      ]);

      // --- the error budget gate: a failing cell refuses changes without a reason
      const [decision, usage] = makeRequest({
        timestamp: new Date(Date.now() - 5 * 60_000).toISOString(),
        outcome: 'error',
        errorClass: 'upstream-unavailable',
        status: 503,
      });
      const ingested = await request(server)
        .post('/api/platform/events')
        .set({ Authorization: mockCredentials.service.header() })
        .send({ events: [decision, usage] });
      expect(ingested.status).toBe(200);
      const refused = await request(server)
        .post('/api/platform-deploy/apply')
        .set(as(SRE))
        .send({ entityRef: CELL });
      expect(refused.status).toBe(200);
      expect(refused.body).toMatchObject({
        result: 'refused',
        errorBudgetExhausted: true,
      });
      const overridden = await request(server)
        .post('/api/platform-deploy/apply')
        .set(as(SRE))
        .send({ entityRef: CELL, overrideReason: 'INC-77 hotfix' });
      expect(overridden.body).toMatchObject({
        result: 'applied',
        overrideReason: 'INC-77 hotfix',
        counts: { applied: 23, changed: 0 },
      });

      // --- the audit log
      const audit = await request(server)
        .get(`/api/platform-deploy/audit?entityRef=${CELL}`)
        .set(as(DEVELOPER));
      expect(audit.status).toBe(200);
      expect(
        audit.body.items.map((r: any) => [r.actor, r.result, r.overrideReason]),
      ).toEqual([
        [SRE, 'applied', 'INC-77 hotfix'],
        [SRE, 'refused', undefined],
        [SRE, 'applied', undefined],
      ]);
      const all = await request(server)
        .get('/api/platform-deploy/audit?limit=2')
        .set(as(SRE));
      expect(all.body.items).toHaveLength(2);
      expect(
        (
          await request(server)
            .get('/api/platform-deploy/audit?limit=0')
            .set(as(SRE))
        ).body.error.message,
      ).toMatch(/limit/);
      // A number too large for a double passes the document's integer check as Infinity; the
      // handler's own check still names the field rather than calling it missing.
      const huge = await request(server)
        .get('/api/platform-deploy/audit?limit=1e400')
        .set(as(SRE));
      expect(huge.status).toBe(400);
      expect(huge.body.error.message).toMatch(/^Invalid query: limit: /);
      expect(huge.body.error.message).not.toMatch(/is required/);

      // --- what the platform backend reads: first applies, for GPU cost
      const asService = { Authorization: mockCredentials.service.header() };
      const firstApplied = await request(server)
        .post('/api/platform-deploy/first-applied')
        .set(asService)
        .send({ entityRefs: [CELL.replace('cell:', 'Cell:'), INFERENCE] });
      expect(firstApplied.status).toBe(200);
      // A route for the platform backend: users, even SREs, are turned away.
      const byUser = await request(server)
        .post('/api/platform-deploy/first-applied')
        .set(as(SRE))
        .send({ entityRefs: [CELL] });
      expect(byUser.status).toBe(403);
      expect(firstApplied.body.items).toEqual([
        { entityRef: CELL, firstAppliedAt: audit.body.items[2].at },
      ]);
      expect(
        (
          await request(server)
            .post('/api/platform-deploy/first-applied')
            .set(asService)
            .send({ entityRefs: 'all' })
        ).body.error.message,
      ).toMatch(/^Invalid body: entityRefs: must be an array/);
      // The GPU deployment, applied now, is charged from its first apply: the platform
      // backend's GPU cost reads it from this plugin over HTTP.
      const gpuBefore = await request(server)
        .get('/api/platform/cost/gpu')
        .set(as(SRE));
      expect(gpuBefore.status).toBe(200);
      expect(gpuBefore.body.deployments[0].firstAppliedAt).toBeUndefined();
      const gpuApplied = await request(server)
        .post('/api/platform-deploy/apply')
        .set(as(SRE))
        .send({ entityRef: INFERENCE, overrideReason: 'INC-77 capacity' });
      expect(gpuApplied.body.result).toBe('applied');
      const [record] = (
        await request(server)
          .get(`/api/platform-deploy/audit?entityRef=${INFERENCE}`)
          .set(as(SRE))
      ).body.items;
      const gpuAfter = await request(server)
        .get('/api/platform/cost/gpu')
        .set(as(SRE));
      expect(gpuAfter.body.deployments[0]).toMatchObject({
        deployment: 'llama-3-1-70b-eu',
        firstAppliedAt: record.at,
      });
    },
  );

  it('refuses an apply it cannot check against the error budgets unless overridden, and audits both', async () => {
    // No platform backend in this backend: the SLO read is a 404.
    const { server } = await startTestBackend({
      features: [
        platformDeployPlugin,
        mockServices.database.factory({
          knex: await databases.init('SQLITE_3'),
        }),
        catalogServiceMock.factory({ entities: TEST_ENTITIES }),
        permissions.factory,
        mockServices.rootConfig.factory({
          data: {
            ...testClusterConfig(cluster.url, TOKEN),
          },
        }),
      ],
    });
    const apply = (body: object) =>
      request(server)
        .post('/api/platform-deploy/apply')
        .set({ Authorization: mockCredentials.user.header(SRE) })
        .send(body);

    const refused = await apply({ entityRef: CELL });
    expect(refused.status).toBe(200);
    expect(refused.body).toMatchObject({
      result: 'refused',
      errorBudgetExhausted: false,
      errorBudgetUnknown: true,
      counts: { notAttempted: 23 },
    });
    expect(refused.body.message).toMatch(
      /^The error budgets of cell "eu-west-shared-1" could not be read from the platform backend: .*404.*; changes wait until they can be read, or give an override reason$/,
    );
    expect(cluster.writes()).toEqual([]);

    const overridden = await apply({
      entityRef: CELL,
      overrideReason: 'INC-78: platform backend down, gateway fix',
    });
    expect(overridden.body).toMatchObject({
      result: 'applied',
      overrideReason: 'INC-78: platform backend down, gateway fix',
      counts: { applied: 23 },
    });
    expect(overridden.body.errorBudgetUnknown).toBeUndefined();
    expect(overridden.body.message).toMatch(/could not be read/);
    const audit = await request(server)
      .get(`/api/platform-deploy/audit?entityRef=${CELL}`)
      .set({ Authorization: mockCredentials.user.header(SRE) });
    expect(audit.body.items.map((r: any) => r.result)).toEqual([
      'applied',
      'refused',
    ]);
  });
});
