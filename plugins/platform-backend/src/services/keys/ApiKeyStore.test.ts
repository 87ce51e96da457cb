import { applyDatabaseMigrations } from '../../database/migrations';
import { ApiKeyStore } from './ApiKeyStore';
import { createTestDatabases } from '@cellport/plugin-platform-node-test-utils';
import { ManualClock } from '@cellport/plugin-platform-node';

jest.setTimeout(60_000);

const old = {
  sha256: 'a'.repeat(64),
  prefix: 'cpk_old001',
  tenant: 'northwind-retail',
  agent: 'checkout-assistant',
  source: 'catalog' as const,
};

describe('ApiKeyStore', () => {
  const databases = createTestDatabases();

  it.each(databases.eachSupportedId())(
    'keeps a rotation and its successor (hashes only), and rotates a key once, on %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      await applyDatabaseMigrations(knex);
      const clock = new ManualClock(Date.UTC(2026, 11, 3, 8));
      const store = new ApiKeyStore(knex, clock);
      const expiresAt = clock.now() + 3600_000;
      await store.rotate({
        old,
        successor: { sha256: 'b'.repeat(64), prefix: 'cpk_new001' },
        rotatedBy: 'user:default/nora.owner',
        expiresAt,
      });
      expect(await store.managed()).toEqual({
        minted: [
          {
            sha256: 'b'.repeat(64),
            prefix: 'cpk_new001',
            tenant: 'northwind-retail',
            agent: 'checkout-assistant',
            createdAt: '2026-12-03T08:00:00.000Z',
            source: 'portal',
          },
        ],
        rotatedOut: new Map([['a'.repeat(64), '2026-12-03T09:00:00.000Z']]),
        issued: new Map(),
      });

      // A second rotation of the same key fails whole: no second successor is kept.
      await expect(
        store.rotate({
          old,
          successor: { sha256: 'c'.repeat(64), prefix: 'cpk_new002' },
          rotatedBy: 'user:default/someone.else',
          expiresAt: expiresAt + 1,
        }),
      ).rejects.toThrow('API key cpk_old001… was already rotated');
      const { minted, rotatedOut } = await store.managed();
      expect(minted.map(k => k.prefix)).toEqual(['cpk_new001']);
      expect(rotatedOut.get('a'.repeat(64))).toBe('2026-12-03T09:00:00.000Z');
    },
  );

  it.each(databases.eachSupportedId())(
    'purges a minted key once the rotation that retired it has ended, keeping the rotation, on %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      await applyDatabaseMigrations(knex);
      const clock = new ManualClock(Date.UTC(2026, 11, 3, 8));
      const store = new ApiKeyStore(knex, clock);
      const hour = 3600_000;
      // The catalog key is rotated to a minted one, which is rotated in turn an hour later.
      await store.rotate({
        old,
        successor: { sha256: 'b'.repeat(64), prefix: 'cpk_new001' },
        rotatedBy: 'user:default/nora.owner',
        expiresAt: clock.now() + hour,
      });
      clock.advance(hour);
      await store.rotate({
        old: { ...old, sha256: 'b'.repeat(64), prefix: 'cpk_new001' },
        successor: { sha256: 'c'.repeat(64), prefix: 'cpk_new002' },
        rotatedBy: 'user:default/nora.owner',
        expiresAt: clock.now() + hour,
      });
      expect(await store.purgeExpired()).toBe(0);

      clock.advance(hour);
      expect(await store.purgeExpired()).toBe(1);
      const { minted, rotatedOut } = await store.managed();
      expect(minted.map(k => k.prefix)).toEqual(['cpk_new002']);
      // Both rotations stay: the catalog's key and the purged one remain expired.
      expect([...rotatedOut.keys()].sort()).toEqual([
        'a'.repeat(64),
        'b'.repeat(64),
      ]);
      expect(await store.purgeExpired()).toBe(0);
    },
  );

  it.each(databases.eachSupportedId())(
    'vouches for the keys it issued, and adopts the catalog keys of the upgrade once between replicas, a contested hash for nobody, on %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      await applyDatabaseMigrations(knex);
      const clock = new ManualClock(Date.UTC(2026, 11, 4, 8));
      const key = (c: string, tenant: string, agent?: string) => ({
        sha256: c.repeat(64),
        prefix: `cpk_${c.repeat(6)}`,
        tenant,
        ...(agent ? { agent } : {}),
        source: 'catalog' as const,
      });
      const annotatedAtUpgrade = [
        key('a', 'northwind-retail'),
        key('b', 'northwind-retail', 'checkout-assistant'),
        // One hash on two tenants' entities: neither is adopted.
        key('c', 'northwind-retail'),
        key('c', 'brightpath-edu'),
      ];
      const replicas = [
        new ApiKeyStore(knex, clock),
        new ApiKeyStore(knex, clock),
      ];
      const [first, second] = await Promise.all(
        replicas.map(store => store.managed(() => annotatedAtUpgrade)),
      );
      const adopted = new Map([
        ['a'.repeat(64), { tenant: 'northwind-retail' }],
        [
          'b'.repeat(64),
          { tenant: 'northwind-retail', agent: 'checkout-assistant' },
        ],
      ]);
      expect(first.issued).toEqual(adopted);
      expect(second.issued).toEqual(adopted);

      // Once adopted, a key annotated later is not, even by a replica that never asked.
      const later = await new ApiKeyStore(knex, clock).managed(() => [
        ...annotatedAtUpgrade,
        key('d', 'brightpath-edu'),
      ]);
      expect(later.issued.has('d'.repeat(64))).toBe(false);

      // A key the portal issues is vouched for as issued, once however often it is recorded.
      const issue = {
        sha256: 'e'.repeat(64),
        prefix: 'cpk_eeeeee',
        tenant: 'brightpath-edu',
        agent: 'homework-helper',
        issuedBy: 'user:default/priya.owner',
      };
      await replicas[0].recordIssue(issue);
      await replicas[1].recordIssue(issue);
      expect((await replicas[1].managed()).issued.get('e'.repeat(64))).toEqual({
        tenant: 'brightpath-edu',
        agent: 'homework-helper',
      });
      const [{ n }] = await knex('platform_api_key_issues')
        .where({ sha256: 'e'.repeat(64) })
        .count({ n: '*' });
      expect(Number(n)).toBe(1);
    },
  );
});
