import { applyDatabaseMigrations } from '../../database/migrations';
import { IngestService } from '../ingest/IngestService';
import { DecisionStore } from './DecisionStore';
import {
  createTestDatabases,
  makeRequest,
} from '@cellport/plugin-platform-node-test-utils';

jest.setTimeout(60_000);

describe('DecisionStore', () => {
  const databases = createTestDatabases();
  const t0 = Date.UTC(2026, 10, 20, 10);

  it.each(databases.eachSupportedId())(
    'filters, pages newest first without gaps, and returns one in full, on %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      await applyDatabaseMigrations(knex);
      const events = [];
      for (let i = 0; i < 25; i++) {
        // Pairs share a timestamp so the pagination tie-break on id is exercised.
        const timestamp = new Date(t0 + Math.floor(i / 2) * 1000).toISOString();
        events.push(
          ...makeRequest(
            {
              timestamp,
              tenant: i % 3 === 0 ? 'brightpath-edu' : 'northwind-retail',
              outcome: i % 4 === 0 ? 'error' : 'success',
              errorClass: i % 4 === 0 ? 'upstream-error' : undefined,
            },
            i % 5 === 0
              ? {
                  fallbacks: [
                    {
                      modelProfile: 'azure-gpt-4o-eu',
                      errorClass: 'upstream-error',
                      status: 502,
                      latencyMs: 120,
                    },
                  ],
                }
              : {
                  candidates: [
                    {
                      modelProfile: 'azure-gpt-4o-mini-eu',
                      kept: true,
                      rank: 0,
                    },
                    {
                      modelProfile: 'gpt-4o',
                      kept: false,
                      dropReason: 'budget',
                    },
                  ],
                },
          ),
        );
      }
      await new IngestService(knex).ingest(events);
      const store = new DecisionStore(knex);
      const range = { from: t0, to: t0 + 60_000 };

      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await store.list(range, { limit: 7, cursor });
        seen.push(...page.items.map(i => i.id));
        cursor = page.nextCursor;
      } while (cursor);
      expect(seen).toHaveLength(25);
      expect(new Set(seen).size).toBe(25);

      const fellBack = await store.list(
        { ...range, fellBack: true },
        { limit: 50 },
      );
      expect(fellBack.items).toHaveLength(5);
      expect(fellBack.items.every(i => i.fellBack)).toBe(true);
      const budget = await store.list(
        { ...range, droppedFor: 'budget' },
        { limit: 50 },
      );
      expect(budget.items).toHaveLength(20);
      expect(budget.items[0].dropReasons).toEqual(['budget']);
      const errors = await store.list(
        { ...range, outcome: 'error', tenant: 'brightpath-edu' },
        { limit: 50 },
      );
      expect(errors.items.map(i => i.tenant)).toEqual([
        'brightpath-edu',
        'brightpath-edu',
        'brightpath-edu',
      ]);
      const restricted = await store.list(
        { ...range, tenants: [] },
        { limit: 50 },
      );
      expect(restricted.items).toEqual([]);

      const detail = await store.get(fellBack.items[0].id);
      expect(detail?.decision.fallbacks[0].modelProfile).toBe(
        'azure-gpt-4o-eu',
      );
      expect(detail?.usage?.requestId).toBe(detail?.decision.requestId);
      expect(detail?.usage?.inputTokens).toBe(800);
      expect(await store.get('does-not-exist')).toBeUndefined();
      await expect(
        store.list(range, { limit: 5, cursor: 'bad' }),
      ).rejects.toThrow(/cursor/);
    },
  );
});
