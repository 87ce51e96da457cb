import { mockCredentials } from '@backstage/backend-test-utils';
import {
  createTestDatabases,
  makeRequest,
} from '@cellport/plugin-platform-node-test-utils';
import request from 'supertest';
import { startPlatformBackend } from './__testUtils__/startPlatformBackend';

jest.setTimeout(60_000);

/**
 * Cost figures are sums of thousands of fractions of a cent: each is exact to the nano-dollar
 * (services/cost/usd.ts), in every report and in the figure budgets are checked against.
 */
describe('platform router: cost totals', () => {
  const databases = createTestDatabases();

  it.each(databases.eachSupportedId())(
    'reports 1000 × $0.001 as $1, 250 × $0.01 as $2.50 and 2500 × $0.01 as $25 in every cost figure, on %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      const { server } = await startPlatformBackend(knex);
      // Stamped now: a minute ago may be last month in a month's first minute.
      const now = new Date().toISOString();
      const spend = async (
        tenant: string,
        agent: string,
        n: number,
        costUsd: number,
      ) => {
        // In batches of 50, as gateways send them: the rollups add batch after batch.
        for (let sent = 0; sent < n; sent += 50) {
          const events = Array.from({ length: 50 }, () =>
            makeRequest({ timestamp: now, tenant, agent, costUsd }),
          ).flat();
          const answer = await request(server)
            .post('/api/platform/events')
            .set('authorization', mockCredentials.service.header())
            .send({ events });
          expect(answer.status).toBe(200);
        }
      };
      await spend('northwind-retail', 'checkout-assistant', 1000, 0.001);
      await spend('northwind-retail', 'returns-helper', 250, 0.01);
      await spend('brightpath-edu', 'homework-helper', 2500, 0.01);
      const get = async (path: string) =>
        (
          await request(server)
            .get(`/api/platform${path}`)
            .set('authorization', mockCredentials.user.header())
        ).body;

      const [traffic, breakdown, movers, budget] = await Promise.all([
        get('/traffic?tenant=northwind-retail'),
        get('/cost/breakdown?groupBy=agent'),
        get('/cost/movers?groupBy=agent&period=day'),
        get('/cost/budget?tenant=northwind-retail'),
      ]);
      const byAgent = (items: Array<{ key: string }>, field: string) =>
        Object.fromEntries(
          items.map(item => [
            item.key,
            (item as Record<string, unknown>)[field],
          ]),
        );

      expect({
        traffic: traffic.costUsd,
        breakdown: byAgent(breakdown.groups, 'costUsd'),
        breakdownTotal: breakdown.totalUsd,
        movers: byAgent(movers.movers, 'currentUsd'),
        budget: budget.monthToDateUsd,
        budgetAgents: Object.fromEntries(
          budget.agents
            .filter((a: { requests: number }) => a.requests > 0)
            .map((a: { agent: string; monthToDateUsd: number }) => [
              a.agent,
              a.monthToDateUsd,
            ]),
        ),
      }).toEqual({
        traffic: 3.5,
        breakdown: {
          'checkout-assistant': 1,
          'returns-helper': 2.5,
          'homework-helper': 25,
        },
        breakdownTotal: 28.5,
        movers: {
          'checkout-assistant': 1,
          'returns-helper': 2.5,
          'homework-helper': 25,
        },
        budget: 3.5,
        budgetAgents: { 'checkout-assistant': 1, 'returns-helper': 2.5 },
      });
    },
  );
});
