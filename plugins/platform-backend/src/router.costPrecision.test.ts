import { mockCredentials } from '@backstage/backend-test-utils';
import {
  createTestDatabases,
  makeRequest,
} from '@cellport/plugin-platform-node-test-utils';
import request from 'supertest';
import { startPlatformBackend } from './__testUtils__/startPlatformBackend';

jest.setTimeout(180_000);

const MINUTE_MS = 60_000;

/**
 * A fixed time for the events, safely inside the current UTC month and its last day: half an
 * hour ago, or the month's first minute early in the month (so `/cost/budget` counts it), and
 * never after now (a figure counts no event stamped later). Within a minute and a half of the
 * month's end this waits for the next month first, so that the reads fall in the same month
 * as the events.
 */
async function eventTime(): Promise<string> {
  let now = Date.now();
  const date = new Date(now);
  const nextMonth = Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1);
  if (nextMonth - now < 90_000) {
    await new Promise(resolve => setTimeout(resolve, nextMonth - now + 1000));
    now = Date.now();
  }
  const current = new Date(now);
  const monthStart = Date.UTC(
    current.getUTCFullYear(),
    current.getUTCMonth(),
    1,
  );
  return new Date(Math.max(monthStart, now - 30 * MINUTE_MS)).toISOString();
}

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
      const now = await eventTime();
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

  it.each(databases.eachSupportedId())(
    'adds 2000 half nano-dollar costs over 400 groups exactly, rounding each figure once, on %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      const { server } = await startPlatformBackend(knex);
      const timestamp = await eventTime();
      // $0.0375 per million tokens: one token is 37.5 nano-dollars, five 187.5. Rounded group
      // by group (or row by row) each would read 188: $0.0000752 for 400, not $0.000075.
      const costUsd = 0.0375 / 1e6;
      const agents = Array.from({ length: 400 }, (_, i) => `precision-${i}`);
      for (let batch = 0; batch < agents.length; batch += 10) {
        const events = agents
          .slice(batch, batch + 10)
          .flatMap(agent =>
            Array.from({ length: 5 }, () =>
              makeRequest({
                timestamp,
                tenant: 'northwind-retail',
                agent,
                costUsd,
              }),
            ),
          )
          .flat();
        const answer = await request(server)
          .post('/api/platform/events')
          .set('authorization', mockCredentials.service.header())
          .send({ events });
        expect(answer.status).toBe(200);
      }
      const get = async (path: string) =>
        (
          await request(server)
            .get(`/api/platform${path}`)
            .set('authorization', mockCredentials.user.header())
        ).body;
      const [traffic, breakdown, byTenant, budget] = await Promise.all([
        get('/traffic?tenant=northwind-retail'),
        get('/cost/breakdown?groupBy=agent&granularity=hour'),
        get('/cost/breakdown?groupBy=tenant'),
        get('/cost/budget?tenant=northwind-retail'),
      ]);
      const spent = budget.agents.filter(
        (a: { requests: number }) => a.requests > 0,
      );
      expect({
        traffic: traffic.costUsd,
        breakdownTotal: breakdown.totalUsd,
        groups: breakdown.groups.length,
        tenantTotal: byTenant.totalUsd,
        tenant: byTenant.groups[0].costUsd,
        budget: budget.monthToDateUsd,
        budgetTokens: budget.tokenUsd,
        budgetAgents: spent.length,
      }).toEqual({
        traffic: 0.000075,
        breakdownTotal: 0.000075,
        groups: 400,
        tenantTotal: 0.000075,
        tenant: 0.000075,
        budget: 0.000075,
        budgetTokens: 0.000075,
        budgetAgents: 400,
      });
      // Each part is rounded on its own: 187.5 nano-dollars reads as 188, within half a
      // nano-dollar of its exact cost, and the parts add up to the total within n × 0.5e-9.
      for (const group of breakdown.groups)
        expect(Math.abs(group.costUsd - 187.5e-9)).toBeLessThanOrEqual(
          0.5e-9 + 1e-15,
        );
      for (const agent of spent)
        expect(Math.abs(agent.monthToDateUsd - 187.5e-9)).toBeLessThanOrEqual(
          0.5e-9 + 1e-15,
        );
    },
  );
});
