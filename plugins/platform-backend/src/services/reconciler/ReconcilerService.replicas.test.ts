import { Entity } from '@backstage/catalog-model';
import { mockServices } from '@backstage/backend-test-utils';
import { GatewayDesiredState } from '@cellport/plugin-platform-common';
import {
  ManualClock,
  PlatformCatalog,
  PlatformEntities,
} from '@cellport/plugin-platform-node';
import {
  createTestDatabases,
  pollUntil,
} from '@cellport/plugin-platform-node-test-utils';
import { Knex } from 'knex';
import { applyDatabaseMigrations } from '../../database/migrations';
import { ControlApiServer } from '../../__testUtils__/ControlApiServer';
import {
  TEST_ENTITIES,
  testCatalogService,
  testPlatformCatalog,
} from '../../__testUtils__/entities';
import { ApiKeyStore } from '../keys/ApiKeyStore';
import { GatewayClient } from './GatewayClient';
import { HeldFirstPush } from '../../__testUtils__/HeldFirstPush';
import { ReconcilerService } from './ReconcilerService';

jest.setTimeout(60_000);

const CELL = 'eu-west-shared-1';

/** A catalog whose first read returns `before` once released; later reads, `after`'s. */
class SlowFirstRead extends PlatformCatalog {
  release!: () => void;
  private readonly held = new Promise<void>(resolve => {
    this.release = resolve;
  });
  private first = true;
  /** Resolves when the first read has begun (its view's time is taken by then). */
  readonly reading: Promise<void>;
  private began!: () => void;

  constructor(
    clock: ManualClock,
    before: Entity[],
    private readonly after: PlatformCatalog,
  ) {
    super(
      testCatalogService(before),
      mockServices.auth(),
      mockServices.logger.mock(),
      clock,
    );
    this.reading = new Promise(resolve => {
      this.began = resolve;
    });
  }

  async entities(options?: { fresh?: boolean }): Promise<PlatformEntities> {
    if (!this.first) return this.after.entities(options);
    this.first = false;
    this.began();
    const snapshot = await super.entities(options);
    await this.held;
    return snapshot;
  }
}

/** Whether a session waits for an advisory lock (a replica for another's reconcile). */
async function waitingForLock(knex: Knex): Promise<boolean> {
  const { rows } = await knex.raw(
    "select count(*)::int as waiting from pg_locks where locktype = 'advisory' and not granted",
  );
  return rows[0].waiting > 0;
}

/** The test entities with northwind-retail's monthly budget set to `usd`. */
function withBudget(usd: number): Entity[] {
  return TEST_ENTITIES.map(entity =>
    entity.kind === 'Tenant' && entity.metadata.name === 'northwind-retail'
      ? { ...entity, spec: { ...entity.spec, monthlyBudgetUsd: usd } }
      : entity,
  );
}

const budgetIn = (state: GatewayDesiredState) =>
  state.tenants.find(tenant => tenant.id === 'northwind-retail')
    ?.monthlyBudgetUsd;

/**
 * Two portal replicas on one database, each with its reconciler, pushing to one gateway:
 * pushes land in the order of what they were computed from, whichever replica made them.
 */
describe('ReconcilerService on two replicas', () => {
  const databases = createTestDatabases();
  const gateway = new ControlApiServer('gw-admin-token');
  beforeAll(() => gateway.start());
  afterAll(() => gateway.stop());

  function replica(
    knex: Knex,
    clock: ManualClock,
    catalog: PlatformCatalog,
    client = new GatewayClient(2000),
  ) {
    return new ReconcilerService({
      db: knex,
      catalog,
      client,
      clock,
      logger: mockServices.logger.mock(),
      gateways: { [CELL]: { baseUrl: gateway.baseUrl } },
      defaultAdminToken: 'gw-admin-token',
      apiKeys: new ApiKeyStore(knex, clock),
      initialBackoffMs: 1000,
      maxBackoffMs: 60_000,
    });
  }

  async function fresh(databaseId: Parameters<typeof databases.init>[0]) {
    const knex = await databases.init(databaseId);
    await applyDatabaseMigrations(knex);
    gateway.forgetState();
    gateway.pushes.length = 0;
    return knex;
  }

  // SQLite serves one backend process: two replicas need a database they share over the
  // network.
  it('lands a rotation made on one replica after the push another had computed before it, on PostgreSQL', async () => {
    const knex = await fresh('POSTGRES_16');
    const clock = new ManualClock(Date.UTC(2026, 11, 7, 8));
    const held = new HeldFirstPush();
    const first = replica(knex, clock, testPlatformCatalog(clock), held);
    const second = replica(knex, clock, testPlatformCatalog(clock));

    const pass = first.reconcileAll();
    await held.pushing;
    await new ApiKeyStore(knex, clock).rotate({
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
    const rotation = second.reconcileCell(CELL);
    // The held push is let go once the rotation either pushed (wrongly, past it) or waits for
    // the first replica's lock.
    await pollUntil(
      async () =>
        gateway.pushes.length > 0 || (await waitingForLock(knex))
          ? true
          : undefined,
      {
        deadlineMs: 20_000,
        intervalMs: 20,
        describe: () => 'the rotation neither pushed nor waited for the lock',
      },
    );
    held.release();
    await Promise.all([pass, rotation]);

    const last = gateway.pushes[gateway.pushes.length - 1];
    expect(last.apiKeys.map(key => key.prefix)).toContain('cpk_new001');
    expect(gateway.state?.apiKeys.map(key => key.prefix)).toContain(
      'cpk_new001',
    );
  });

  it.each(databases.eachSupportedId())(
    'never pushes a catalog view older than the one a replica pushed meanwhile, on %p',
    async databaseId => {
      const knex = await fresh(databaseId);
      const clock = new ManualClock(Date.UTC(2026, 11, 7, 8));
      const changed = testPlatformCatalog(clock, withBudget(4200));
      // The first replica reads the catalog before the budget changed, and is slow to go on.
      const slow = new SlowFirstRead(clock, withBudget(3000), changed);
      const first = replica(knex, clock, slow);
      const second = replica(knex, clock, changed);

      const pass = first.reconcileAll();
      await slow.reading;
      clock.advance(5_000);
      await second.reconcileAll();
      expect(budgetIn(gateway.state!)).toBe(4200);
      slow.release();
      await pass;

      expect(gateway.pushes.map(budgetIn)).toEqual([4200]);
      expect(budgetIn(gateway.state!)).toBe(4200);
      expect((await first.runtime(CELL))?.inSync).toBe(true);
    },
  );

  it('orders catalog views by the database clock, whatever the replicas clocks say, on PostgreSQL', async () => {
    const knex = await fresh('POSTGRES_16');
    const ahead = new ManualClock(Date.UTC(2026, 11, 7, 9));
    // The replica that reads the newer catalog runs an hour behind.
    const behind = new ManualClock(Date.UTC(2026, 11, 7, 8));
    const changed = testPlatformCatalog(behind, withBudget(4200));
    const slow = new SlowFirstRead(ahead, withBudget(3000), changed);
    const first = replica(knex, ahead, slow);
    const second = replica(knex, behind, changed);

    const pass = first.reconcileAll();
    await slow.reading;
    await second.reconcileAll();
    slow.release();
    await pass;

    expect(gateway.pushes.map(budgetIn)).toEqual([4200]);
  });
});
