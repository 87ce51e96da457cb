import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import {
  createTestDatabases,
  FakeKubernetesApiServer,
  TEST_ENTITIES,
} from '@cellport/plugin-platform-node-test-utils';
import request from 'supertest';
import { platformDeployPlugin } from './plugin';
import { testClusterConfig } from './__testUtils__/deployService';

jest.setTimeout(120_000);

const SRE = 'user:default/sre-on-call';
const TOKEN = 'sa-token-for-tests';
const CELL = 'cell:default/eu-west-shared-1';
const INFERENCE = 'inferencedeployment:default/llama-3-1-70b-eu';

/** The test entities with the GPU deployment's kubernetes-id and a tenant's name replaced. */
function entitiesWith(options: {
  kubernetesId?: string;
  tenantName?: string;
}): Entity[] {
  const entities: Entity[] = structuredClone(TEST_ENTITIES);
  const llama = entities.find(e => e.kind === 'InferenceDeployment')!;
  if (options.kubernetesId) {
    llama.metadata.annotations!['backstage.io/kubernetes-id'] =
      options.kubernetesId;
  }
  if (options.tenantName) {
    entities.find(e => e.metadata.name === 'northwind-retail')!.metadata.name =
      options.tenantName;
    const cell = entities.find(e => e.metadata.name === 'eu-west-shared-1')!;
    cell.spec!.tenants = [options.tenantName];
  }
  return entities;
}

describe('platform-deploy router, names Kubernetes refuses', () => {
  const databases = createTestDatabases();
  let cluster: FakeKubernetesApiServer;
  beforeEach(async () => {
    cluster = new FakeKubernetesApiServer({ token: TOKEN });
    await cluster.start();
  });
  afterEach(() => cluster.stop());

  async function startWith(entities: Entity[]) {
    const { server } = await startTestBackend({
      features: [
        platformDeployPlugin,
        mockServices.database.factory({
          knex: await databases.init('SQLITE_3'),
        }),
        catalogServiceMock.factory({ entities }),
        mockServices.permissions.mock({
          authorize: async requests =>
            requests.map(() => ({ result: AuthorizeResult.ALLOW })),
        }).factory,
        mockServices.rootConfig.factory({
          data: {
            ...testClusterConfig(cluster.url, TOKEN),
          },
        }),
      ],
    });
    const as = { Authorization: mockCredentials.user.header(SRE) };
    return {
      plan: (entityRef: string) =>
        request(server)
          .get(`/api/platform-deploy/plan?entityRef=${entityRef}`)
          .set(as),
      apply: (entityRef: string) =>
        request(server)
          .post('/api/platform-deploy/apply')
          .set(as)
          .send({ entityRef, overrideReason: 'test' }),
    };
  }

  it.each([['Llama 3.1 (EU)'], [`llama-3-1-70b-eu-${'x'.repeat(50)}`]])(
    'answers a kubernetes-id of %p with a 400 naming the annotation, before asking the cluster',
    async kubernetesId => {
      const { plan, apply } = await startWith(entitiesWith({ kubernetesId }));
      for (const response of [await plan(INFERENCE), await apply(INFERENCE)]) {
        expect(response.status).toBe(400);
        expect(response.body.error).toMatchObject({
          name: 'InputError',
          message: `${INFERENCE}: metadata.annotations["backstage.io/kubernetes-id"]: must be a Kubernetes label value: at most 63 letters, digits, "-", "_" and ".", starting and ending with a letter or digit (got ${JSON.stringify(
            kubernetesId,
          )}, ${kubernetesId.length} characters)`,
        });
      }
      expect(cluster.requests).toEqual([]);
    },
  );

  it('never renders a tenant namespace over 63 characters: the Tenant kind refuses a name its namespace could not hold', async () => {
    const tenantName = 'a'.repeat(63);
    const { plan } = await startWith(entitiesWith({ tenantName }));
    const response = await plan(CELL);
    // The catalog refuses the entity (metadata.name: at most 56), so the cell has no such
    // tenant to render; validateManifests still refuses such a namespace should one come.
    expect(response.status).toBe(200);
    expect(JSON.stringify(response.body)).not.toContain(`tenant-${tenantName}`);
  });
});
