import { NotAllowedError, NotFoundError } from '@backstage/errors';
import { applyDatabaseMigrations } from '../../database/migrations';
import { ApiKeyRevealStore } from './ApiKeyRevealStore';
import { createTestDatabases } from '@cellport/plugin-platform-node-test-utils';
import { ManualClock } from '@cellport/plugin-platform-node';

jest.setTimeout(60_000);

const HOUR_MS = 3_600_000;
const apiKey = 'cpk_0123456789abcdefghijklmnopqrstuv';
const alice = { userRef: 'user:default/alice', mayManageRuntime: false };

describe('ApiKeyRevealStore', () => {
  const databases = createTestDatabases();

  async function setUp(databaseId: Parameters<typeof databases.init>[0]) {
    const knex = await databases.init(databaseId);
    await applyDatabaseMigrations(knex);
    const clock = new ManualClock(Date.UTC(2026, 10, 23, 12));
    return { knex, clock, store: new ApiKeyRevealStore(knex, clock, HOUR_MS) };
  }

  it.each(databases.eachSupportedId())(
    'reveals a key once, to the user it was sealed for, and stores no trace of it, on %p',
    async databaseId => {
      const { knex, store } = await setUp(databaseId);
      const sealed = await store.seal({
        apiKey,
        tenant: 'tenant:default/contoso',
        forUser: alice.userRef,
      });
      expect(sealed).toEqual({
        token: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
        expiresAt: '2026-11-23T13:00:00.000Z',
        prefix: 'cpk_012345',
      });
      const stored = JSON.stringify(
        await knex('platform_api_key_reveals').select(),
      );
      expect(stored).not.toContain(apiKey);
      expect(stored).not.toContain(sealed.token);

      await expect(
        store.reveal(sealed.token, {
          userRef: 'user:default/mallory',
          mayManageRuntime: true,
        }),
      ).rejects.toThrow(NotAllowedError);
      expect(await store.reveal(sealed.token, alice)).toEqual({
        apiKey,
        tenant: 'tenant:default/contoso',
        prefix: 'cpk_012345',
      });
      await expect(store.reveal(sealed.token, alice)).rejects.toThrow(
        NotFoundError,
      );
      expect(await knex('platform_api_key_reveals').select('id')).toEqual([]);
    },
  );

  it.each(databases.eachSupportedId())(
    'lets only one of two concurrent reveals have the key, on %p',
    async databaseId => {
      const { store } = await setUp(databaseId);
      const { token } = await store.seal({
        apiKey,
        tenant: 'tenant:default/contoso',
        forUser: alice.userRef,
      });
      const results = await Promise.allSettled(
        Array.from({ length: 4 }, () => store.reveal(token, alice)),
      );
      expect(results.filter(r => r.status === 'fulfilled')).toHaveLength(1);
    },
  );

  it.each(databases.eachSupportedId())(
    'refuses an expired token and purges what expired unrevealed, on %p',
    async databaseId => {
      const { clock, store } = await setUp(databaseId);
      const kept = await store.seal({ apiKey, tenant: 'tenant:default/a' });
      clock.advance(HOUR_MS / 2);
      const expiring = await store.seal({
        apiKey,
        tenant: 'tenant:default/b',
        agent: 'agent:default/planner',
      });
      clock.advance(HOUR_MS / 2);
      const sre = { mayManageRuntime: true };
      await expect(store.reveal(kept.token, sre)).rejects.toThrow(
        /already revealed, or its reveal link expired/,
      );
      expect(await store.purgeExpired()).toBe(1);
      // Sealed for nobody in particular: anyone who may manage runtimes, and only them.
      await expect(
        store.reveal(expiring.token, { mayManageRuntime: false }),
      ).rejects.toThrow(NotAllowedError);
      expect(await store.reveal(expiring.token, sre)).toEqual({
        apiKey,
        tenant: 'tenant:default/b',
        agent: 'agent:default/planner',
        prefix: 'cpk_012345',
      });
    },
  );

  it.each(databases.eachSupportedId())(
    'gives nothing for a token it never issued, on %p',
    async databaseId => {
      const { store } = await setUp(databaseId);
      await expect(
        store.reveal('x'.repeat(43), { mayManageRuntime: true }),
      ).rejects.toThrow(NotFoundError);
    },
  );
});
