import { mockCredentials } from '@backstage/backend-test-utils';
import platformModuleDemo from '@cellport/plugin-platform-backend-module-demo';
import request from 'supertest';
import { startPlatformBackend } from './__testUtils__/startPlatformBackend';
import { createTestDatabases } from '@cellport/plugin-platform-node-test-utils';

jest.setTimeout(120_000);

describe('the demo belongs to the development backend', () => {
  const databases = createTestDatabases();
  const demoConfigured = { platform: { demo: { enabled: true } } };
  const sre = { Authorization: mockCredentials.user.header() };

  it.each(databases.eachSupportedId())(
    'the production plugin serves no demo route, even with the demo configured; the module adds it, on %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      const production = await startPlatformBackend(knex, demoConfigured);
      const refused = await request(production.server)
        .post('/api/platform/demo/backfill?days=1')
        .set(sre);
      expect(refused.status).toBe(404);
      await production.stop();

      const development = await startPlatformBackend(knex, {
        ...demoConfigured,
        features: [platformModuleDemo],
      });
      const backfill = await request(development.server)
        .post('/api/platform/demo/backfill?days=1')
        .set(sre);
      expect(backfill.status).toBe(200);
      expect(backfill.body.stored).toBeGreaterThan(0);
      // Stored as demo history, beside (not as) what the gateways reported.
      const rows = await knex('platform_usage_events')
        .count({ all: '*' })
        .sum({ demo: knex.raw('CASE WHEN demo THEN 1 ELSE 0 END') });
      expect(Number(rows[0].all)).toBeGreaterThan(0);
      expect(Number(rows[0].demo)).toBe(Number(rows[0].all));
      const wrongDays = await request(development.server)
        .post('/api/platform/demo/backfill?days=1.5')
        .set(sre);
      expect(wrongDays.status).toBe(400);
      expect(wrongDays.body.error.message).toBe(
        'Invalid query: days: must be a whole number from 1 to 90',
      );
      await development.stop();
    },
  );
});
