import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import {
  createPlatformTenantConditionalDecision,
  platformTenantConditions,
} from '@cellport/plugin-platform-node';
import { Knex } from 'knex';
import { createHash } from 'node:crypto';
import request from 'supertest';
import { ControlApiServer } from './__testUtils__/ControlApiServer';
import { TEST_ENTITIES } from './__testUtils__/entities';
import {
  PlatformBackendOptions,
  startPlatformBackend,
} from './__testUtils__/startPlatformBackend';
import { createTestDatabases } from '@cellport/plugin-platform-node-test-utils';

jest.setTimeout(120_000);

/** Owns northwind-retail (and so checkout-assistant) through group:northwind-commerce. */
const OWNER = 'user:default/nora.owner';
/** Owns brightpath-edu only. */
const NEIGHBOUR = 'user:default/ben.brightpath';
const ADMIN_TOKEN = 'rotation-test-admin-token';
/** A key whose hash the checkout assistant's catalog file holds. */
const AGENT_KEY = 'cpk_CheckoutAssistantKey0123456789abcdef';
const sha256 = (key: string) => createHash('sha256').update(key).digest('hex');

const checkout = TEST_ENTITIES.find(
  e => e.metadata.name === 'checkout-assistant',
)!;
const annotatedCheckout: Entity = {
  ...checkout,
  metadata: {
    ...checkout.metadata,
    annotations: {
      'cellport.dev/api-keys': JSON.stringify([
        {
          sha256: sha256(AGENT_KEY),
          prefix: AGENT_KEY.slice(0, 10),
          createdAt: '2026-11-30T09:00:00.000Z',
        },
      ]),
    },
  },
};

// The production policy's shape: a tenant's owners get a conditional decision for their tenants.
const claims: Record<string, string[]> = {
  [OWNER]: ['group:default/northwind-commerce'],
  [NEIGHBOUR]: ['group:default/brightpath-learning'],
};
const permissions = mockServices.permissions.mock({
  authorize: async requests =>
    requests.map(() => ({ result: AuthorizeResult.ALLOW })),
  authorizeConditional: async (requests, { credentials }) =>
    requests.map(({ permission }) =>
      createPlatformTenantConditionalDecision(
        permission as any,
        platformTenantConditions.isTenantOwner({
          claims:
            claims[
              (credentials.principal as { userEntityRef: string }).userEntityRef
            ] ?? [],
        }),
      ),
    ),
});

const ENTITIES = [
  ...TEST_ENTITIES.filter(e => e !== checkout),
  annotatedCheckout,
];

/**
 * The platform backend on a test database, with the annotated agent and the policy above.
 * `catalogCallsLeft`, when given, is how many more catalog reads succeed before it fails.
 */
async function startBackend(
  knex: Knex,
  platform: PlatformBackendOptions['platform'],
  catalogCallsLeft?: { n: number },
) {
  const catalog = catalogServiceMock({ entities: ENTITIES });
  const failing = new Proxy(catalog, {
    get(target, property) {
      const value = (target as any)[property];
      if (property === 'getEntities' && catalogCallsLeft) {
        return async (...args: unknown[]) => {
          if (catalogCallsLeft.n-- <= 0) throw new Error('catalog unavailable');
          return value.apply(target, args);
        };
      }
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  const { server } = await startPlatformBackend(knex, {
    catalog: failing,
    permissions: permissions.factory,
    platform,
  });
  return server;
}

describe('platform router: API key lists and rotation', () => {
  const databases = createTestDatabases();
  const gateway = new ControlApiServer(ADMIN_TOKEN);
  beforeAll(() => gateway.start());
  afterAll(() => gateway.stop());

  it.each(databases.eachSupportedId())(
    "lists keys and lets a tenant's owner rotate one: a new key revealed once to them, the old one valid until its expiresAt, pushed at once, on %p",
    async databaseId => {
      const knex = await databases.init(databaseId);
      gateway.pushes.length = 0;
      const server = await startBackend(knex, {
        reconciler: {
          enabled: false,
          adminToken: ADMIN_TOKEN,
          gateways: { 'eu-west-shared-1': { baseUrl: gateway.baseUrl } },
        },
        apiKeys: { rotationGraceHours: 48 },
      });
      const as = (user: string) => mockCredentials.user.header(user);
      const list = (query: string, user = OWNER) =>
        request(server)
          .get(`/api/platform/api-keys?${query}`)
          .set('authorization', as(user));
      const rotate = (body: object, user = OWNER) =>
        request(server)
          .post('/api/platform/api-keys/rotate')
          .set('authorization', as(user))
          .send(body);
      const reveal = (revealUrl: string, user = OWNER) =>
        request(server)
          .post(`/api/platform/api-keys/reveals/${revealUrl.split('/').pop()}`)
          .set('authorization', as(user));

      // The agent's page: the key its tenant's file binds to it and its own key, with when
      // it was made, and whether the caller may rotate.
      const agentKeys = await list('agent=agent:default/checkout-assistant');
      expect(agentKeys.status).toBe(200);
      expect(agentKeys.body).toEqual({
        items: [
          {
            prefix: 'cpk_nw02',
            fingerprint: 'bbbbbbbb',
            tenant: 'tenant:default/northwind-retail',
            agent: 'agent:default/checkout-assistant',
            source: 'catalog',
          },
          {
            prefix: 'cpk_Checko',
            fingerprint: sha256(AGENT_KEY).slice(0, 8),
            tenant: 'tenant:default/northwind-retail',
            agent: 'agent:default/checkout-assistant',
            source: 'catalog',
            createdAt: '2026-11-30T09:00:00.000Z',
          },
        ],
        mayRotate: true,
      });
      expect(JSON.stringify(agentKeys.body)).not.toContain(sha256(AGENT_KEY));
      expect(
        (await list('agent=checkout-assistant', NEIGHBOUR)).body.mayRotate,
      ).toBe(false);
      // The tenant's page lists its own keys and its agents'.
      const tenantKeys = await list('tenant=northwind-retail');
      expect(tenantKeys.body.items.map((k: any) => k.prefix)).toEqual([
        'cpk_nw01',
        'cpk_nw02',
        'cpk_Checko',
      ]);
      const bad = await list('tenant=a&agent=b');
      expect(bad.status).toBe(400);
      expect(bad.body.error.message).toMatch(
        /tenant: give exactly one of tenant and agent/,
      );

      // Bad input names the field; a neighbour may not touch another tenant's key, even
      // knowing its prefix; an unknown prefix is a 404.
      const invalid = await rotate({ tenant: 'northwind-retail', prefix: '' });
      expect(invalid.status).toBe(400);
      expect(invalid.body.error.message).toMatch(/prefix: must be the prefix/);
      expect(
        (
          await rotate(
            { tenant: 'northwind-retail', prefix: 'cpk_Checko' },
            NEIGHBOUR,
          )
        ).status,
      ).toBe(403);
      const unknown = await rotate({
        tenant: 'northwind-retail',
        prefix: 'cpk_nope00',
      });
      expect(unknown.status).toBe(404);
      expect(unknown.body.error.message).toBe(
        'Tenant "northwind-retail" has no API key with prefix cpk_nope00',
      );
      // Its own tenant's key under the wrong tenant is unknown there, not rotated.
      expect(
        (
          await rotate(
            { tenant: 'brightpath-edu', prefix: 'cpk_Checko' },
            NEIGHBOUR,
          )
        ).status,
      ).toBe(404);
      expect(gateway.pushes).toHaveLength(0);

      const before = Date.now();
      const rotated = await rotate({
        tenant: 'tenant:default/northwind-retail',
        prefix: 'cpk_Checko',
      });
      expect(rotated.status).toBe(201);
      expect(rotated.body).toEqual({
        prefix: expect.stringMatching(/^cpk_/),
        revealUrl: expect.stringMatching(
          /^\/api-keys\/reveal\/[A-Za-z0-9_-]{43}$/,
        ),
        revealExpiresAt: expect.any(String),
        replaced: { prefix: 'cpk_Checko', expiresAt: expect.any(String) },
        gatewaySynced: true,
      });
      const expiresAt = Date.parse(rotated.body.replaced.expiresAt);
      expect(expiresAt - before).toBeGreaterThanOrEqual(48 * 3600_000 - 1000);
      expect(expiresAt - before).toBeLessThan(48 * 3600_000 + 60_000);

      // Revealed once, and only to the user who rotated.
      expect((await reveal(rotated.body.revealUrl, NEIGHBOUR)).status).toBe(
        403,
      );
      const revealed = await reveal(rotated.body.revealUrl);
      expect(revealed.status).toBe(200);
      const newKey: string = revealed.body.apiKey;
      expect(revealed.body).toMatchObject({
        tenant: 'tenant:default/northwind-retail',
        agent: 'agent:default/checkout-assistant',
        prefix: rotated.body.prefix,
      });
      expect((await reveal(rotated.body.revealUrl)).status).toBe(404);

      // Pushed at once: both keys, bound to the agent, the old one with its expiresAt.
      expect(gateway.pushes).toHaveLength(1);
      const keys = gateway.pushes[0].apiKeys;
      expect(keys).toContainEqual({
        sha256: sha256(AGENT_KEY),
        prefix: 'cpk_Checko',
        tenant: 'northwind-retail',
        agent: 'checkout-assistant',
        expiresAt: rotated.body.replaced.expiresAt,
      });
      expect(keys).toContainEqual({
        sha256: sha256(newKey),
        prefix: newKey.slice(0, 10),
        tenant: 'northwind-retail',
        agent: 'checkout-assistant',
      });
      expect(JSON.stringify(gateway.pushes)).not.toContain(newKey);

      // The list shows both; the old key cannot be rotated twice, the new one can.
      const after = await list('agent=checkout-assistant');
      expect(after.body.items).toEqual([
        expect.objectContaining({ prefix: 'cpk_nw02' }),
        expect.objectContaining({
          prefix: 'cpk_Checko',
          source: 'catalog',
          expiresAt: rotated.body.replaced.expiresAt,
        }),
        expect.objectContaining({
          prefix: newKey.slice(0, 10),
          source: 'portal',
          createdAt: expect.any(String),
        }),
      ]);
      const again = await rotate({
        tenant: 'northwind-retail',
        prefix: 'cpk_Checko',
      });
      expect(again.status).toBe(409);
      expect(again.body.error.message).toMatch(/already rotated out/);
    },
  );

  it.each(databases.eachSupportedId())(
    'lets only one of two racing rotations of a key win, on %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      const server = await startBackend(knex, {
        reconciler: { enabled: false },
      });
      const rotate = () =>
        request(server)
          .post('/api/platform/api-keys/rotate')
          .set('authorization', mockCredentials.user.header(OWNER))
          .send({ tenant: 'northwind-retail', prefix: 'cpk_Checko' });
      const answers = await Promise.all([rotate(), rotate(), rotate()]);
      expect(answers.map(a => a.status).sort()).toEqual([201, 409, 409]);
      // The losers' keys were withdrawn: no reveal link of theirs exists.
      const [{ n }] = await knex('platform_api_key_reveals').count('* as n');
      expect(Number(n)).toBe(1);
      const [{ n: minted }] = await knex('platform_api_keys').count('* as n');
      expect(Number(minted)).toBe(1);
    },
  );

  it.each(databases.eachSupportedId())(
    'returns the reveal link of a rotation whose push at once failed: the rotation is done, on %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      const catalogCallsLeft = { n: Number.MAX_SAFE_INTEGER };
      const server = await startBackend(
        knex,
        { reconciler: { enabled: false }, apiKeys: { rotationGraceHours: 48 } },
        catalogCallsLeft,
      );
      // The rotation reads the catalog twice for the keys; the push after it finds it down.
      catalogCallsLeft.n = 2;
      const rotated = await request(server)
        .post('/api/platform/api-keys/rotate')
        .set('authorization', mockCredentials.user.header(OWNER))
        .send({ tenant: 'northwind-retail', prefix: 'cpk_Checko' });
      expect(rotated.status).toBe(201);
      expect(rotated.body).toMatchObject({
        revealUrl: expect.stringMatching(/^\/api-keys\/reveal\//),
        gatewaySynced: false,
      });
      catalogCallsLeft.n = Number.MAX_SAFE_INTEGER;
      const revealed = await request(server)
        .post(
          `/api/platform/api-keys/reveals/${rotated.body.revealUrl
            .split('/')
            .pop()}`,
        )
        .set('authorization', mockCredentials.user.header(OWNER));
      expect(revealed.status).toBe(200);
      expect(revealed.body.apiKey).toMatch(/^cpk_/);
    },
  );
});
