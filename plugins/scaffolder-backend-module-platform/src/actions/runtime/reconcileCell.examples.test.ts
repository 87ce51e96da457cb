import { Entity } from '@backstage/catalog-model';
import {
  createMockDirectory,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { createGateway, Gateway, readGatewayConfig } from '@cellport/gateway';
import { API_KEYS_ANNOTATION } from '@cellport/plugin-platform-common';
// The action's real peer is the platform backend itself, which pushes to a real gateway.
// eslint-disable-next-line @backstage/no-mixed-plugin-imports
import platformPlugin from '@cellport/plugin-platform-backend';
import { createHash } from 'node:crypto';
import { AddressInfo } from 'node:net';
import { demoCatalog } from '../../__testUtils__/demoCatalog';
import { runExample } from '../../__testUtils__/runExample';
import { createReconcileCellAction } from './reconcileCell';
import { examples } from './reconcileCell.examples';

jest.setTimeout(60_000);

const apiKey = 'cpk_contoso-travel-examples-test-key-0001';
const adminToken = 'reconcile-examples-admin-token';

/** Contoso Travel as the catalog serves it once its repository is registered. */
const registeredTenant: Entity = {
  apiVersion: 'cellport.dev/v1alpha1',
  kind: 'Tenant',
  metadata: {
    name: 'contoso-travel',
    namespace: 'default',
    annotations: {
      [API_KEYS_ANNOTATION]: JSON.stringify([
        {
          sha256: createHash('sha256').update(apiKey).digest('hex'),
          prefix: apiKey.slice(0, 10),
        },
      ]),
    },
  },
  spec: {
    owner: 'group:default/contoso-travel',
    tier: 'basic',
    isolation: 'shared',
    cell: 'eu-west-shared-1',
    homeRegion: 'eu-west-1',
    dataClassification: 'INTERNAL',
    monthlyBudgetUsd: 1200,
    rateLimits: { requestsPerMinute: 300, tokensPerMinute: 200000 },
    modelAllowlist: ['azure-gpt-4o-mini-eu'],
  },
};

describe('cellport:runtime:reconcile examples', () => {
  const entities = [...demoCatalog(), registeredTenant];
  let gateway: Gateway;
  let gatewayUrl: string;
  let platformUrl: string;

  beforeAll(async () => {
    gateway = await createGateway(
      readGatewayConfig({
        GATEWAY_HOST: '127.0.0.1',
        GATEWAY_PORT: '0',
        GATEWAY_ID: 'eu-west-shared-1',
        GATEWAY_ADMIN_TOKEN: adminToken,
        GATEWAY_SPOOL_DIR: createMockDirectory().path,
        LOG_LEVEL: 'silent',
      }),
    );
    gatewayUrl = (await gateway.start()).replace(/\/$/, '');
    const { server } = await startTestBackend({
      features: [
        platformPlugin,
        catalogServiceMock.factory({ entities }),
        mockServices.rootConfig.factory({
          data: {
            platform: {
              reconciler: {
                // Only the action pushes, so the test sees what it did.
                enabled: false,
                adminToken,
                gateways: { 'eu-west-shared-1': { baseUrl: gatewayUrl } },
              },
            },
          },
        }),
      ],
    });
    platformUrl = `http://127.0.0.1:${
      (server.address() as AddressInfo).port
    }/api/platform`;
  });
  afterAll(() => gateway?.stop());

  const models = () =>
    fetch(`${gatewayUrl}/v1/models`, {
      headers: { authorization: `Bearer ${apiKey}` },
    });

  it("Example 1: pushes the cell's state once the tenant is in the catalog, so its key works", async () => {
    // Before the push the gateway has no state, so no key of the tenant's works.
    expect((await models()).status).not.toBe(200);
    const { reconcile } = await runExample(examples[0], {
      actions: [
        createReconcileCellAction({
          catalog: catalogServiceMock({ entities }),
          discovery: { getBaseUrl: async () => platformUrl } as any,
          auth: mockServices.auth({ pluginId: 'scaffolder' }),
        }),
      ],
      parameters: { name: 'contoso-travel', cell: 'eu-west-shared-1' },
    });
    expect(reconcile).toEqual({
      synced: true,
      version: expect.any(String),
      gatewayUrl,
      gatewayState: 'running',
    });
    const answer = await models();
    expect(answer.status).toBe(200);
    expect(JSON.stringify(await answer.json())).toContain(
      'azure-gpt-4o-mini-eu',
    );
  });
});
