import { mockCredentials } from '@backstage/backend-test-utils';
import request from 'supertest';
import {
  agentHistory,
  RECOMMENDATION_ENTITIES,
} from './__testUtils__/recommendationCatalog';
import {
  as,
  NORTHWIND_DEV,
  OUTSIDER,
  SRE,
  tenantOwnerPolicy,
} from './__testUtils__/tenantOwnerPolicy';
import { startPlatformBackend } from './__testUtils__/startPlatformBackend';
import { createTestDatabases } from '@cellport/plugin-platform-node-test-utils';

jest.setTimeout(180_000);

const permissions = tenantOwnerPolicy();

describe('platform router: recommendations', () => {
  const databases = createTestDatabases();

  it.each(databases.eachSupportedId())(
    'recommends within the tenant, bounded, to whoever may read its decisions, on %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      const { server } = await startPlatformBackend(knex, {
        entities: RECOMMENDATION_ENTITIES,
        permissions: permissions.factory,
      });
      const now = Date.now();
      const range = { from: now - 3 * 86_400_000, to: now - 60_000 };
      const ingested = await request(server)
        .post('/api/platform/events')
        .set({ Authorization: mockCredentials.service.header() })
        .send({
          events: [
            ...agentHistory({
              agent: 'checkout-assistant',
              tenant: 'northwind-retail',
              cell: 'eu-west-shared-1',
              classification: 'INTERNAL',
              ...range,
              perHour: 4,
              served: 'azure-gpt-4o-eu',
              pricePerMillion: [2.5, 10],
            }),
            ...agentHistory({
              agent: 'homework-helper',
              tenant: 'brightpath-edu',
              cell: 'eu-west-shared-1',
              classification: 'PUBLIC',
              ...range,
              perHour: 1,
              served: 'llama-3-1-70b-eu',
              pricePerMillion: [0, 0],
            }),
          ],
        });
      expect(ingested.status).toBe(200);
      const list = (user: string, query: string) =>
        request(server)
          .get(`/api/platform/recommendations?${query}`)
          .set(as(user));

      // --- the tenant's own member reads its recommendations, best first
      const own = await list(NORTHWIND_DEV, 'tenant=northwind-retail&days=7');
      expect(own.status).toBe(200);
      expect(own.body.scope).toMatchObject({ tenant: 'northwind-retail' });
      expect(own.body.recommendations.length).toBe(2);
      const [best] = own.body.recommendations;
      expect(best).toMatchObject({
        rank: 1,
        agent: 'checkout-assistant',
        change: { summary: 'policy balanced → cost' },
        evidence: { decisionsReplayed: 3 * 24 * 4 - 1 },
        risk: { level: 'medium', newRefusals: 0 },
      });
      expect(best.monthlySavingUsd).toBeCloseTo((best.savingUsd * 30) / 7, 4);
      // Another tenant's dedicated model, free and on the allowlist by hand, never appears.
      expect(JSON.stringify(own.body.recommendations)).not.toContain(
        'acme-llama-dedicated',
      );
      expect(JSON.stringify(own.body)).not.toContain('acme-bank');

      // --- the SRE reads the whole shared cell
      const cell = await list(SRE, 'cell=eu-west-shared-1');
      expect(cell.status).toBe(200);
      expect(cell.body.recommendations[0].agent).toBe('checkout-assistant');
      expect(cell.body.skipped).toContainEqual(
        expect.objectContaining({ agent: 'homework-helper' }),
      );

      // --- who may not: another tenant, a shared cell holding others' decisions, outsiders
      const other = await list(NORTHWIND_DEV, 'tenant=brightpath-edu');
      expect(other.status).toBe(403);
      expect(other.body.error.message).toMatch(/brightpath-edu/);
      expect(other.body.recommendations).toBeUndefined();
      const shared = await list(NORTHWIND_DEV, 'cell=eu-west-shared-1');
      expect(shared.status).toBe(403);
      expect(shared.body.error.message).toMatch(/tenants you may not read/);
      expect((await list(OUTSIDER, 'tenant=northwind-retail')).status).toBe(
        403,
      );

      // --- bad input is a 400 naming the field; unknown names are 404
      const bad = async (query: string, message: RegExp) => {
        const answer = await list(SRE, query);
        expect(answer.status).toBe(400);
        expect(answer.body.error.message).toMatch(message);
      };
      await bad('tenant=northwind-retail&days=15', /days/);
      await bad('tenant=northwind-retail&days=0', /days/);
      await bad('tenant=northwind-retail&cell=eu-west-shared-1', /cell/);
      await bad('', /cell/);
      await bad('tennant=northwind-retail', /tennant/);
      const unknown = await list(SRE, 'tenant=nobody');
      expect(unknown.status).toBe(404);
      expect(unknown.body.error.message).toMatch(/tenant "nobody"/);
    },
  );
});
