import { mockServices } from '@backstage/backend-test-utils';
import { applyDatabaseMigrations } from '../../database/migrations';
import { ControlApiServer } from '../../__testUtils__/ControlApiServer';
import {
  TEST_ENTITIES,
  testPlatformCatalog,
} from '../../__testUtils__/entities';
import {
  computeDesiredState,
  ManualClock,
} from '@cellport/plugin-platform-node';
import { GatewayClient } from './GatewayClient';
import type { LocatedGateway } from '@cellport/plugin-platform-node';
import { ApiKeyStore } from '../keys/ApiKeyStore';
import { ReconcilerService } from './ReconcilerService';
import { createTestDatabases } from '@cellport/plugin-platform-node-test-utils';

jest.setTimeout(60_000);

describe('ReconcilerService', () => {
  const databases = createTestDatabases();
  const gateway = new ControlApiServer('gw-admin-token');

  beforeAll(() => gateway.start());
  afterAll(() => gateway.stop());

  it.each(databases.eachSupportedId())(
    'pushes changed state, skips unchanged, heals drift and backs off on failures, on %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      await applyDatabaseMigrations(knex);
      gateway.forgetState();
      gateway.pushes.length = 0;
      const clock = new ManualClock(Date.UTC(2026, 10, 23, 8));
      const reconciler = new ReconcilerService({
        db: knex,
        catalog: testPlatformCatalog(clock),
        apiKeys: new ApiKeyStore(knex, clock),
        client: new GatewayClient(2000),
        clock,
        logger: mockServices.logger.mock(),
        gateways: { 'eu-west-shared-1': { baseUrl: gateway.baseUrl } },
        defaultAdminToken: 'gw-admin-token',
        initialBackoffMs: 1000,
        maxBackoffMs: 60_000,
      });

      await reconciler.reconcileAll();
      expect(gateway.pushes).toHaveLength(1);
      const pushed = gateway.pushes[0];
      expect(pushed.cell).toBe('eu-west-shared-1');
      expect(pushed.tenants.map(t => t.id)).toEqual([
        'brightpath-edu',
        'northwind-retail',
      ]);
      expect(pushed.agents.map(a => a.id)).toEqual([
        'checkout-assistant',
        'homework-helper',
      ]);
      expect(pushed.modelProfiles.map(p => p.id)).toEqual([
        'azure-gpt-4o-eu',
        'azure-gpt-4o-mini-eu',
        'llama-3-1-70b-eu',
      ]);
      // Only hashes reach the gateway.
      expect(pushed.apiKeys).toEqual([
        {
          sha256: 'a'.repeat(64),
          prefix: 'cpk_nw01',
          tenant: 'northwind-retail',
        },
        {
          sha256: 'b'.repeat(64),
          prefix: 'cpk_nw02',
          tenant: 'northwind-retail',
          agent: 'checkout-assistant',
        },
      ]);
      expect(
        gateway.requests.every(
          r => r.authorization === 'Bearer gw-admin-token',
        ),
      ).toBe(true);
      let runtime = await reconciler.runtime('eu-west-shared-1');
      expect(runtime).toMatchObject({
        pushedVersion: pushed.version,
        desiredVersion: pushed.version,
        inSync: true,
        drift: false,
        consecutiveFailures: 0,
        lastSuccessAt: new Date(clock.now()).toISOString(),
        desired: { tenants: 2, apiKeys: 2, modelProfiles: 3, agents: 2 },
      });

      // Unchanged catalog: nothing is pushed again.
      clock.advance(30_000);
      await reconciler.reconcileAll();
      expect(gateway.pushes).toHaveLength(1);

      // The gateway restarted empty: drift is seen and healed.
      gateway.forgetState();
      await reconciler.reconcileAll();
      expect(gateway.pushes).toHaveLength(2);
      runtime = await reconciler.runtime('eu-west-shared-1');
      expect(runtime).toMatchObject({ drift: true, inSync: true });

      // The gateway fails twice: recorded, retried only after 1 s and then 2 s.
      gateway.forgetState();
      gateway.failNext(503, 500);
      await reconciler.reconcileAll();
      runtime = await reconciler.runtime('eu-west-shared-1');
      expect(runtime).toMatchObject({ consecutiveFailures: 1, inSync: true });
      expect(runtime?.lastError).toMatch(/answered 503/);
      expect(runtime?.nextAttemptAt).toBe(
        new Date(clock.now() + 1000).toISOString(),
      );
      const requestsBefore = gateway.requests.length;
      await reconciler.reconcileAll();
      expect(gateway.requests.length).toBe(requestsBefore);
      clock.advance(1000);
      await reconciler.reconcileAll();
      runtime = await reconciler.runtime('eu-west-shared-1');
      expect(runtime).toMatchObject({ consecutiveFailures: 2 });
      expect(runtime?.lastError).toMatch(/answered 500/);
      clock.advance(2000);
      await reconciler.reconcileAll();
      runtime = await reconciler.runtime('eu-west-shared-1');
      expect(runtime).toMatchObject({ consecutiveFailures: 0, inSync: true });
      expect(runtime?.lastSuccessAt).toBe(new Date(clock.now()).toISOString());
      expect(gateway.state?.version).toBe(pushed.version);

      // A cell without a gateway is recorded as such.
      const other = await reconciler.runtime('us-east-shared-1');
      expect(other?.lastError).toMatch(/No gateway URL/);
      expect(await reconciler.runtime('nowhere')).toBeUndefined();
    },
  );

  it('computes the same version for the same catalog and a new one when it changes', async () => {
    const catalog = await testPlatformCatalog().entities();
    const cell = catalog.cells[0];
    const first = computeDesiredState(cell, catalog);
    expect(computeDesiredState(cell, catalog).state.version).toBe(
      first.state.version,
    );
    const changed = {
      ...catalog,
      tenants: catalog.tenants.map(t => ({
        ...t,
        spec: { ...t.spec, monthlyBudgetUsd: t.spec.monthlyBudgetUsd + 1 },
      })),
    };
    expect(computeDesiredState(cell, changed).state.version).not.toBe(
      first.state.version,
    );
    expect(TEST_ENTITIES.length).toBeGreaterThan(catalog.tenants.length);
  });

  it('includes tenants that name the cell as theirs', async () => {
    const catalog = await testPlatformCatalog().entities();
    const other = catalog.cells.find(
      c => c.metadata.name === 'us-east-shared-1',
    )!;
    expect(computeDesiredState(other, catalog).state.tenants).toEqual([]);
    const moved = (homeRegion: string, pinned = false) => ({
      ...catalog,
      tenants: catalog.tenants.map(t =>
        t.metadata.name === 'brightpath-edu'
          ? {
              ...t,
              spec: {
                ...t.spec,
                homeRegion,
                residency: { pinned, regions: [homeRegion] },
                cell: 'cell:default/us-east-shared-1',
              },
            }
          : t,
      ),
    });
    expect(
      computeDesiredState(other, moved('us-east-1')).state.tenants.map(
        t => t.id,
      ),
    ).toEqual(['brightpath-edu']);
    // A tenant whose data must stay in the EU does not join a US cell by naming it.
    expect(
      computeDesiredState(other, moved('eu-west-1', true)).state.tenants,
    ).toEqual([]);
  });

  it.each(databases.eachSupportedId())(
    'waits for a gateway the local runtime is starting, and pushes the moment it runs, on %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      await applyDatabaseMigrations(knex);
      gateway.forgetState();
      gateway.pushes.length = 0;
      const clock = new ManualClock(Date.UTC(2026, 10, 23, 8));
      let located: LocatedGateway = { state: 'starting' };
      const listeners: Array<(cell: string) => void> = [];
      const reconciler = new ReconcilerService({
        db: knex,
        catalog: testPlatformCatalog(clock),
        apiKeys: new ApiKeyStore(knex, clock),
        client: new GatewayClient(2000),
        clock,
        logger: mockServices.logger.mock(),
        gateways: {},
        locator: {
          locate: cell => (cell === 'eu-west-shared-1' ? located : undefined),
          onRunning: listener => listeners.push(listener),
          request: () => {},
        },
        defaultAdminToken: 'gw-admin-token',
        initialBackoffMs: 1000,
        maxBackoffMs: 60_000,
      });

      await reconciler.reconcileAll();
      expect(gateway.pushes).toHaveLength(0);
      expect(await reconciler.runtime('eu-west-shared-1')).toMatchObject({
        gateway: { source: 'local-runtime', state: 'starting' },
        consecutiveFailures: 0,
      });
      // A cell nothing provides a gateway for says so, in words.
      expect(await reconciler.runtime('us-east-shared-1')).toMatchObject({
        gateway: { source: 'none', state: 'not-configured' },
        lastError: expect.stringMatching(/^No gateway URL/),
      });

      located = {
        state: 'running',
        baseUrl: gateway.baseUrl,
        adminToken: 'gw-admin-token',
      };
      listeners.forEach(listener => listener('eu-west-shared-1'));
      // The gateway has the push before the reconciler has recorded its answer: wait for the
      // record, which comes last.
      let runtime = await reconciler.runtime('eu-west-shared-1');
      for (let i = 0; i < 500 && !runtime?.inSync; i++) {
        await new Promise(resolve => setTimeout(resolve, 20));
        runtime = await reconciler.runtime('eu-west-shared-1');
      }
      expect(gateway.pushes.map(p => p.cell)).toEqual(['eu-west-shared-1']);
      expect(runtime).toMatchObject({
        gatewayUrl: gateway.baseUrl,
        gateway: { source: 'local-runtime', state: 'running' },
        inSync: true,
      });
    },
  );
});
