import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import request from 'supertest';
import { TEST_ENTITIES } from './__testUtils__/entities';
import { startPlatformBackend } from './__testUtils__/startPlatformBackend';
import { createTestDatabases } from '@cellport/plugin-platform-node-test-utils';

jest.setTimeout(120_000);

const CREATOR = 'user:default/lena.fischer';
const SRE = 'user:default/sre-on-call';
const API_KEY = 'cpk_AbCdEfGhIjKlMnOpQrStUvWxYz012345';

const permissions = mockServices.permissions.mock({
  authorize: async (requests, { credentials }) =>
    requests.map(() => ({
      result:
        (credentials.principal as { userEntityRef?: string }).userEntityRef ===
        SRE
          ? AuthorizeResult.ALLOW
          : AuthorizeResult.DENY,
    })),
});

describe('platform router: one-time API key reveals', () => {
  const databases = createTestDatabases();

  it.each(databases.eachSupportedId())(
    'seals for backend plugins only and reveals once to the creator, on %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      const { server } = await startPlatformBackend(knex, {
        permissions: permissions.factory,
      });
      const asPlugin = mockCredentials.service.header({
        onBehalfOf: mockCredentials.service('plugin:scaffolder'),
        targetPluginId: 'platform',
      });
      const seal = (body: object, authorization = asPlugin) =>
        request(server)
          .post('/api/platform/api-keys/reveals')
          .set('authorization', authorization)
          .send(body);
      const reveal = (token: string, user: string) =>
        request(server)
          .post(`/api/platform/api-keys/reveals/${token}`)
          .set('authorization', mockCredentials.user.header(user));

      const body = {
        apiKey: API_KEY,
        tenant: 'tenant:default/contoso-travel',
        forUser: CREATOR,
      };
      // Gateways hold external access tokens: they are services, but not plugins.
      const asGateway = mockCredentials.service.header({
        onBehalfOf: mockCredentials.service('external:gateway-eu-west'),
        targetPluginId: 'platform',
      });
      expect((await seal(body, asGateway)).status).toBe(403);
      expect(
        (await seal(body, mockCredentials.user.header(CREATOR))).status,
      ).toBe(403);
      const invalid = await seal({ ...body, apiKey: 'hunter2', tenant: 'x' });
      expect(invalid.status).toBe(400);
      expect(invalid.body.error.message).toMatch(
        /apiKey: must be a Cellport API key/,
      );
      expect(invalid.body.error.message).toMatch(
        /tenant: must be a tenant entity ref/,
      );
      expect(JSON.stringify(invalid.body)).not.toContain('hunter2');

      const sealed = await seal(body);
      expect(sealed.status).toBe(201);
      expect(sealed.body).toEqual({
        token: expect.any(String),
        expiresAt: expect.any(String),
        prefix: API_KEY.slice(0, 10),
      });

      expect((await reveal('not-a-token', CREATOR)).status).toBe(400);
      // Not even an SRE reveals a key that was sealed for someone else.
      expect((await reveal(sealed.body.token, SRE)).status).toBe(403);
      const revealed = await reveal(sealed.body.token, CREATOR);
      expect(revealed.status).toBe(200);
      expect(revealed.headers['cache-control']).toBe('no-store');
      expect(revealed.body).toEqual({
        apiKey: API_KEY,
        tenant: 'tenant:default/contoso-travel',
        prefix: API_KEY.slice(0, 10),
      });
      const again = await reveal(sealed.body.token, CREATOR);
      expect(again.status).toBe(404);
      expect(again.body.error.message).toMatch(/already revealed/);

      // A key sealed for nobody in particular: runtime managers only.
      const unowned = await seal({ apiKey: API_KEY, tenant: body.tenant });
      expect((await reveal(unowned.body.token, CREATOR)).status).toBe(403);
      expect((await reveal(unowned.body.token, SRE)).status).toBe(200);
    },
  );

  it.each(databases.eachSupportedId())(
    'reveals the key although the catalog cannot say where its gateway answers, on %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      const real = catalogServiceMock({ entities: TEST_ENTITIES });
      let catalogDown = false;
      const flaky = new Proxy(real, {
        get(target, property) {
          const value = (target as any)[property];
          if (property === 'getEntities') {
            return async (...args: unknown[]) => {
              if (catalogDown) throw new Error('catalog unavailable');
              return value.apply(target, args);
            };
          }
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
      const { server } = await startPlatformBackend(knex, {
        catalog: flaky,
        permissions: permissions.factory,
      });
      const sealed = await request(server)
        .post('/api/platform/api-keys/reveals')
        .set(
          'authorization',
          mockCredentials.service.header({
            onBehalfOf: mockCredentials.service('plugin:scaffolder'),
            targetPluginId: 'platform',
          }),
        )
        .send({
          apiKey: API_KEY,
          tenant: 'tenant:default/contoso-travel',
          forUser: CREATOR,
        });
      expect(sealed.status).toBe(201);
      catalogDown = true;
      const revealed = await request(server)
        .post(`/api/platform/api-keys/reveals/${sealed.body.token}`)
        .set('authorization', mockCredentials.user.header(CREATOR));
      expect(revealed.status).toBe(200);
      expect(revealed.body.apiKey).toBe(API_KEY);
    },
  );
});
