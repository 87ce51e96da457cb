import { mockServices } from '@backstage/backend-test-utils';
import { applyDatabaseMigrations } from '../../database/migrations';
import { ControlApiServer } from '../../__testUtils__/ControlApiServer';
import { testPlatformCatalog } from '../../__testUtils__/entities';
import { ApiKeyStore } from '../keys/ApiKeyStore';
import { HeldFirstPush } from '../../__testUtils__/HeldFirstPush';
import { ReconcilerService } from './ReconcilerService';
import { createTestDatabases } from '@cellport/plugin-platform-node-test-utils';
import { ManualClock } from '@cellport/plugin-platform-node';

jest.setTimeout(60_000);

describe('ReconcilerService and key rotation', () => {
  const databases = createTestDatabases();
  const gateway = new ControlApiServer('gw-admin-token');
  beforeAll(() => gateway.start());
  afterAll(() => gateway.stop());

  it.each(databases.eachSupportedId())(
    'lands the push that carries a rotation last, even when a pass computed before it is still pushing, on %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      await applyDatabaseMigrations(knex);
      gateway.forgetState();
      gateway.pushes.length = 0;
      const clock = new ManualClock(Date.UTC(2026, 11, 3, 8));
      const store = new ApiKeyStore(knex, clock);
      const client = new HeldFirstPush();
      const reconciler = new ReconcilerService({
        db: knex,
        catalog: testPlatformCatalog(clock),
        client,
        clock,
        logger: mockServices.logger.mock(),
        gateways: { 'eu-west-shared-1': { baseUrl: gateway.baseUrl } },
        defaultAdminToken: 'gw-admin-token',
        apiKeys: store,
        initialBackoffMs: 1000,
        maxBackoffMs: 60_000,
      });

      // The periodic pass computed its state and is pushing it when the rotation commits.
      const pass = reconciler.reconcileAll();
      await client.pushing;
      await store.rotate({
        old: {
          sha256: 'b'.repeat(64),
          prefix: 'cpk_nw02',
          tenant: 'northwind-retail',
          agent: 'checkout-assistant',
          source: 'catalog',
        },
        successor: { sha256: 'f'.repeat(64), prefix: 'cpk_new001' },
        rotatedBy: 'user:default/nora.owner',
        expiresAt: clock.now() + 3600_000,
      });
      const rotation = reconciler.reconcileCell('eu-west-shared-1');
      // The held push is let go once the rotation's push landed, or after a while if the
      // rotation (rightly) waits for it.
      for (let i = 0; i < 20 && gateway.pushes.length === 0; i++) {
        await new Promise(resolve => setTimeout(resolve, 25));
      }
      client.release();
      await Promise.all([pass, rotation]);

      const last = gateway.pushes[gateway.pushes.length - 1];
      expect(last.apiKeys.map(k => k.prefix)).toContain('cpk_new001');
      expect(last.apiKeys.find(k => k.prefix === 'cpk_nw02')?.expiresAt).toBe(
        new Date(clock.now() + 3600_000).toISOString(),
      );
      expect((await reconciler.runtime('eu-west-shared-1'))?.inSync).toBe(true);
    },
  );
});
