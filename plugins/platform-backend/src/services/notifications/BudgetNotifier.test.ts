import { mockServices } from '@backstage/backend-test-utils';
import { NotificationSendOptions } from '@backstage/plugin-notifications-node';
import { TenantBudgetReport } from '@cellport/plugin-platform-common';
import { applyDatabaseMigrations } from '../../database/migrations';
import { testPlatformCatalog } from '../../__testUtils__/entities';
import { BudgetAnnouncements } from './BudgetAnnouncements';
import { BudgetNotifier } from './BudgetNotifier';
import { createTestDatabases } from '@cellport/plugin-platform-node-test-utils';
import { ManualClock } from '@cellport/plugin-platform-node';

jest.setTimeout(60_000);

/** Month-to-date spend per tenant and agent, as the cost engine would report it. */
type Spend = Record<string, number>;

function budgetOf(spend: Spend, month: string) {
  return async (tenant: string): Promise<TenantBudgetReport> => {
    const budgets: Record<string, number> = {
      'northwind-retail': 3000,
      'brightpath-edu': 150,
    };
    return {
      tenant,
      month,
      asOf: `${month}-15T00:00:00.000Z`,
      budgetUsd: budgets[tenant],
      covers: ['tokens', 'gpus'],
      monthToDateUsd: spend[tenant] ?? 0,
      tokenUsd: spend[tenant] ?? 0,
      gpuUsd: 0,
      usedFraction: (spend[tenant] ?? 0) / budgets[tenant],
      forecastUsd: 0,
      forecastFraction: 0,
      forecastBasis: 'test',
      daily: [],
      agents:
        tenant === 'northwind-retail'
          ? [
              {
                agent: 'checkout-assistant',
                monthToDateUsd: spend['checkout-assistant'] ?? 0,
                monthlyBudgetUsd: 1500,
                forecastUsd: 0,
                requests: 1,
                averageRequestCostUsd: 0,
              },
            ]
          : [],
    } as TenantBudgetReport;
  };
}

describe('BudgetNotifier', () => {
  const databases = createTestDatabases();

  async function setUp(databaseId: Parameters<typeof databases.init>[0]) {
    const knex = await databases.init(databaseId);
    await applyDatabaseMigrations(knex);
    const sent: NotificationSendOptions[] = [];
    const spend: Spend = {};
    const period = { month: '2026-12' };
    const notifier = (failing = false) =>
      new BudgetNotifier({
        cost: {
          tenantBudget: tenant => budgetOf(spend, period.month)(tenant),
        },
        catalog: testPlatformCatalog(),
        announcements: new BudgetAnnouncements(knex),
        notifications: {
          send: async options => {
            if (failing) throw new Error('notifications backend down');
            sent.push(options);
          },
        },
        clock: new ManualClock(Date.UTC(2026, 11, 15)),
        logger: mockServices.logger.mock(),
      });
    return { sent, spend, period, notifier };
  }

  it.each(databases.eachSupportedId())(
    'announces 80% and 100% once a month each, to the owning group, on %p',
    async databaseId => {
      const { sent, spend, period, notifier } = await setUp(databaseId);
      const budgets = notifier();
      const titles = () => sent.map(s => s.payload.title);

      spend['northwind-retail'] = 1500;
      await budgets.check();
      expect(sent).toEqual([]);

      spend['northwind-retail'] = 2550; // 85%
      await budgets.check();
      await budgets.check();
      expect(titles()).toEqual([
        'Tenant northwind-retail (LLM tokens and GPUs) has used 80% of its monthly budget',
      ]);
      expect(sent[0].recipients).toEqual({
        type: 'entity',
        entityRef: 'group:default/northwind-commerce',
      });
      expect(sent[0].payload.description).toBe(
        '$2550.00 of $3000.00 spent in 2026-12 (85.0%).',
      );

      spend['northwind-retail'] = 3100;
      await budgets.check();
      await budgets.check();
      expect(titles()).toHaveLength(2);
      expect(titles()[1]).toBe(
        'Tenant northwind-retail (LLM tokens and GPUs) is over its monthly budget',
      );
      expect(sent[1].payload.severity).toBe('high');

      // A new month starts over.
      period.month = '2027-01';
      spend['northwind-retail'] = 2600;
      await budgets.check();
      expect(titles()).toHaveLength(3);
      expect(sent[2].payload.scope).toBe(
        'cellport-budget:tenant:northwind-retail:2027-01:80',
      );
    },
  );

  it.each(databases.eachSupportedId())(
    'says only the highest threshold crossed at once, and covers agents, on %p',
    async databaseId => {
      const { sent, spend, notifier } = await setUp(databaseId);
      spend['brightpath-edu'] = 400; // 0% to 267% between two passes
      spend['checkout-assistant'] = 1300; // 87% of the agent's 1500
      await notifier().check();
      expect(sent.map(s => s.payload.title).sort()).toEqual([
        'Agent checkout-assistant of northwind-retail (LLM tokens) has used 80% of its monthly budget',
        'Tenant brightpath-edu (LLM tokens and GPUs) is over its monthly budget',
      ]);
      await notifier().check();
      expect(sent).toHaveLength(2);
    },
  );

  it.each(databases.eachSupportedId())(
    'announces once between replicas checking at the same time, and retries what failed to send, on %p',
    async databaseId => {
      const { sent, spend, notifier } = await setUp(databaseId);
      spend['northwind-retail'] = 2700;
      await notifier(true).check();
      expect(sent).toEqual([]);
      await Promise.all([1, 2, 3, 4].map(() => notifier().check()));
      expect(sent).toHaveLength(1);
    },
  );
});
