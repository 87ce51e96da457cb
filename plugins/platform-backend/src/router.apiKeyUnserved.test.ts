import { Entity } from '@backstage/catalog-model';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { createHash } from 'node:crypto';
import request from 'supertest';
import { ControlApiServer } from './__testUtils__/ControlApiServer';
import { TEST_ENTITIES } from './__testUtils__/entities';
import { startPlatformBackend } from './__testUtils__/startPlatformBackend';
import { as, SRE } from './__testUtils__/tenantOwnerPolicy';
import { tenantOwnerPolicy } from './__testUtils__/tenantOwnerPolicy';
import { createTestDatabases } from '@cellport/plugin-platform-node-test-utils';

jest.setTimeout(120_000);

const ADMIN_TOKEN = 'unserved-keys-admin-token';
const sha256 = (key: string) => createHash('sha256').update(key).digest('hex');
/** A key of `platform.reconciler.apiKeys`: the configuration's, served as configured. */
const CONFIG_KEY = {
  prefix: 'cp-adv-key1',
  sha256: sha256('cp-adv-key1-secret'),
};

/** An agent of northwind-retail pushed to its repository by hand, with keys it names. */
function handEditedAgent(name: string, keys: object[]): Entity {
  const checkout = TEST_ENTITIES.find(
    e => e.metadata.name === 'checkout-assistant',
  )!;
  return {
    ...checkout,
    metadata: {
      name,
      annotations: { 'cellport.dev/api-keys': JSON.stringify(keys) },
    },
  };
}

/**
 * Keys no rotation may promise to end: what `POST /api-keys/rotate` answers of the old key's
 * end is what the gateway then does. The portal never issued the hand-edited agents' keys, and
 * they appear after the first start adopted the catalog's keys.
 */
describe('platform router: rotating keys the portal does not serve', () => {
  const databases = createTestDatabases();
  const gateway = new ControlApiServer(ADMIN_TOKEN);
  beforeAll(() => gateway.start());
  afterAll(() => gateway.stop());

  async function start(
    databaseId: Parameters<typeof databases.init>[0],
    annotatedAtStart: Entity[] = [],
  ) {
    const knex = await databases.init(databaseId);
    gateway.pushes.length = 0;
    const entities = [...TEST_ENTITIES, ...annotatedAtStart];
    // Each call reads the catalog as `entities` holds it then.
    const catalog = new Proxy({} as CatalogService, {
      get: (_, property) => {
        const now = catalogServiceMock({ entities }) as any;
        const value = now[property];
        return typeof value === 'function' ? value.bind(now) : value;
      },
    });
    const { server } = await startPlatformBackend(knex, {
      catalog,
      permissions: tenantOwnerPolicy().factory,
      platform: {
        reconciler: {
          enabled: false,
          adminToken: ADMIN_TOKEN,
          gateways: { 'eu-west-shared-1': { baseUrl: gateway.baseUrl } },
          apiKeys: [{ ...CONFIG_KEY, tenant: 'northwind-retail' }],
        },
      },
    });
    const list = (query: string) =>
      request(server).get(`/api/platform/api-keys?${query}`).set(as(SRE));
    const rotate = (prefix: string) =>
      request(server)
        .post('/api/platform/api-keys/rotate')
        .set(as(SRE))
        .send({ tenant: 'northwind-retail', prefix });
    // The first read adopts the keys annotated now; anything annotated later is not issued.
    expect((await list('tenant=northwind-retail')).status).toBe(200);
    return { knex, server, entities, list, rotate };
  }

  it.each(databases.eachSupportedId())(
    "lists a key both annotated and configured once, as the configuration's, on %p",
    async databaseId => {
      const { list } = await start(databaseId, [
        handEditedAgent('adv-agent', [CONFIG_KEY]),
      ]);
      const listed = await list('tenant=northwind-retail');
      expect(
        listed.body.items.filter(
          (key: { prefix: string }) => key.prefix === CONFIG_KEY.prefix,
        ),
      ).toEqual([
        {
          prefix: CONFIG_KEY.prefix,
          fingerprint: CONFIG_KEY.sha256.slice(0, 8),
          tenant: 'tenant:default/northwind-retail',
          source: 'configuration',
        },
      ]);
    },
  );

  it.each(databases.eachSupportedId())(
    "lists the configuration's keys with the tenant's, marked as such, on %p",
    async databaseId => {
      const { list } = await start(databaseId);
      const listed = await list('tenant=northwind-retail');
      expect(listed.body.items).toContainEqual({
        prefix: CONFIG_KEY.prefix,
        fingerprint: CONFIG_KEY.sha256.slice(0, 8),
        tenant: 'tenant:default/northwind-retail',
        source: 'configuration',
      });
    },
  );

  it.each(databases.eachSupportedId())(
    'refuses to rotate a configuration key, by its prefix or by a hand-edited annotation of its hash, on %p',
    async databaseId => {
      const { knex, entities, rotate } = await start(databaseId);
      const refusal = `${CONFIG_KEY.prefix} is a configuration key: remove it from platform.reconciler.apiKeys`;
      const byPrefix = await rotate(CONFIG_KEY.prefix);
      expect(byPrefix.status).toBe(409);
      expect(byPrefix.body.error.message).toContain(refusal);

      // The gateway serves the configuration's key as configured whatever a rotation says,
      // so no successor is made for the hand-edited agent and no end is promised.
      entities.push(handEditedAgent('adv-agent', [CONFIG_KEY]));
      const byAnnotation = await rotate(CONFIG_KEY.prefix);
      expect(byAnnotation.status).toBe(409);
      expect(byAnnotation.body.error.message).toContain(refusal);
      const [{ n }] = await knex('platform_api_keys').count('* as n');
      expect(Number(n)).toBe(0);
      expect(gateway.pushes).toEqual([]);
    },
  );

  it.each(databases.eachSupportedId())(
    'rotates a key the portal never issued into a successor serving at once, says the old one ends now, and ends no key serving under its hash, on %p',
    async databaseId => {
      const { server, entities, rotate } = await start(databaseId);
      entities.push(
        handEditedAgent('hand-agent', [
          { sha256: sha256('cpk_HandEdited0'), prefix: 'cpk_HandEd' },
        ]),
      );
      const before = Date.now();
      const rotated = await rotate('cpk_HandEd');
      expect(rotated.status).toBe(201);
      // It never served: it ends now, not after a grace period no gateway would keep.
      const ends = Date.parse(rotated.body.replaced.expiresAt);
      expect(ends).toBeGreaterThanOrEqual(before - 1000);
      expect(ends).toBeLessThanOrEqual(Date.now());
      const revealed = await request(server)
        .post(
          `/api/platform/api-keys/reveals/${rotated.body.revealUrl
            .split('/')
            .pop()}`,
        )
        .set(as(SRE));
      const successor = sha256(revealed.body.apiKey);
      const pushed = gateway.pushes[gateway.pushes.length - 1].apiKeys;
      expect(pushed).toContainEqual({
        sha256: successor,
        prefix: rotated.body.prefix,
        tenant: 'northwind-retail',
        agent: 'hand-agent',
      });
      expect(pushed.map(k => k.sha256)).not.toContain(
        sha256('cpk_HandEdited0'),
      );

      // Another hand-edited annotation of the successor's hash is not a key to rotate: that
      // would end the successor, which serves.
      entities.push(
        handEditedAgent('copy-agent', [
          { sha256: successor, prefix: 'cpk_Copied' },
        ]),
      );
      expect((await rotate('cpk_Copied')).status).toBe(404);
      const keys = await request(server)
        .get('/api/platform/api-keys?agent=hand-agent')
        .set(as(SRE));
      expect(keys.body.items).toContainEqual(
        expect.objectContaining({
          prefix: rotated.body.prefix,
          source: 'portal',
        }),
      );
      expect(
        keys.body.items.find((k: any) => k.prefix === rotated.body.prefix)
          .expiresAt,
      ).toBeUndefined();
    },
  );
});
