import { Knex } from 'knex';
import {
  platformEventSchema,
  UsageEvent,
} from '@cellport/plugin-platform-common';
import { applyDatabaseMigrations } from '../../database/migrations';
import { IngestService } from './IngestService';
import {
  createTestDatabases,
  makeDecision,
  makeRequest,
  makeUsage,
} from '@cellport/plugin-platform-node-test-utils';

jest.setTimeout(60_000);

async function totals(knex: Knex, table: string) {
  const [row] = await knex(table).select(
    knex.raw('count(*) as rows_count'),
    knex.raw('sum(requests) as requests'),
    knex.raw('sum(decisions) as decisions'),
    knex.raw('sum(cost_usd) as cost'),
    knex.raw('sum(input_tokens) as input_tokens'),
  );
  return {
    rows: Number(row.rows_count),
    requests: Number(row.requests),
    decisions: Number(row.decisions),
    cost: Number(row.cost),
    inputTokens: Number(row.input_tokens),
  };
}

describe('IngestService', () => {
  const databases = createTestDatabases();

  it.each(databases.eachSupportedId())(
    'stores events once and adds them to every rollup once, on %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      await applyDatabaseMigrations(knex);
      const ingest = new IngestService(knex);

      const batch = [
        ...makeRequest(),
        ...makeRequest({ timestamp: '2026-11-20T10:16:10.000Z' }),
        ...makeRequest(
          {
            outcome: 'error',
            errorClass: 'upstream-timeout',
            status: 504,
            timestamp: '2026-11-20T11:02:00.000Z',
          },
          {
            fallbacks: [
              {
                modelProfile: 'azure-gpt-4o-eu',
                errorClass: 'upstream-timeout',
                latencyMs: 30000,
              },
            ],
          },
        ),
      ];
      expect(await ingest.ingest(batch)).toEqual({ stored: 6, duplicates: 0 });
      // A replay of the whole batch, and a batch repeating an id within itself.
      expect(await ingest.ingest(batch)).toEqual({ stored: 0, duplicates: 6 });
      const extra = makeUsage({ costUsd: 1, inputTokens: 1000 });
      expect(await ingest.ingest([extra, extra, batch[0]])).toEqual({
        stored: 1,
        duplicates: 2,
      });

      expect(await knex('platform_routing_decisions').count('* as n')).toEqual([
        { n: expect.anything() },
      ]);
      const decisionCount = await knex('platform_routing_decisions').count(
        '* as n',
      );
      expect(Number(decisionCount[0].n)).toBe(3);

      const minute = await totals(knex, 'platform_rollups_minute');
      const hour = await totals(knex, 'platform_rollups_hour');
      const day = await totals(knex, 'platform_rollups_day');
      for (const t of [minute, hour, day]) {
        expect(t.requests).toBe(4);
        expect(t.decisions).toBe(3);
        expect(t.inputTokens).toBe(3 * 800 + 1000);
        expect(t.cost).toBeCloseTo(3 * 0.00024 + 1);
      }
      // Two successful minutes and one error minute; the extra event has its own minute row.
      expect(minute.rows).toBe(3);
      expect(hour.rows).toBe(2);

      const [errorRow] = await knex('platform_rollups_hour').where({
        outcome: 'error',
      });
      expect(Number(errorRow.err_upstream_timeout)).toBe(1);
      expect(Number(errorRow.fallbacks)).toBe(1);
      expect(Number(errorRow.requests)).toBe(1);
    },
  );

  it.each(databases.eachSupportedId())(
    'marks backfilled history as demo and stores a decision in full, on %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      await applyDatabaseMigrations(knex);
      const ingest = new IngestService(knex);
      const decision = makeDecision();
      await ingest.ingest([decision], { demo: true });
      const [row] = await knex('platform_routing_decisions');
      expect(Boolean(row.demo)).toBe(true);
      expect(row.drop_reasons).toBe(',residency,');
      expect(JSON.parse(row.body)).toEqual(decision);
      const [rollup] = await knex('platform_rollups_minute');
      expect(Number(rollup.demo)).toBe(1);
    },
  );

  it.each(databases.eachSupportedId())(
    'stores the same events sent at once in different orders (replicas redelivering) without a deadlock, on %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      await applyDatabaseMigrations(knex);
      const ingest = new IngestService(knex);
      for (let round = 0; round < 4; round++) {
        const events = Array.from({ length: 300 }, () => makeRequest()).flat();
        const reversed = [...events].reverse();
        const interleaved = [
          ...events.filter((_, i) => i % 2 === 1),
          ...events.filter((_, i) => i % 2 === 0),
        ];
        const results = await Promise.all(
          [events, reversed, interleaved].map(batch => ingest.ingest(batch)),
        );
        // Each event once, whichever batch stored it.
        expect(results.reduce((sum, result) => sum + result.stored, 0)).toBe(
          events.length,
        );
      }
      expect((await totals(knex, 'platform_rollups_minute')).requests).toBe(
        4 * 300,
      );
    },
  );

  it.each(databases.eachSupportedId())(
    'stores a batch around an event the database refuses, naming that event and why, on %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      await applyDatabaseMigrations(knex);
      const ingest = new IngestService(knex);
      // An event the contract would refuse, handed straight to storage: whatever the database
      // refuses, only that event is left out.
      const refused = { ...makeUsage(), stateVersion: undefined } as object;
      const batch = [...makeRequest(), refused as UsageEvent, ...makeRequest()];
      const result = await ingest.ingestIsolating(batch);
      expect(result).toEqual({
        stored: 4,
        duplicates: 0,
        unstorable: [
          {
            id: (refused as UsageEvent).id,
            reason: expect.stringMatching(/state_version/),
          },
        ],
      });
      // In the database's words, not the statement's.
      expect(result.unstorable[0].reason).not.toMatch(/insert into/i);
      expect((await totals(knex, 'platform_rollups_minute')).requests).toBe(2);
      // Sent again (the gateway retries what it did not see stored): nothing counted twice.
      expect(await ingest.ingestIsolating(batch)).toMatchObject({
        stored: 0,
        duplicates: 4,
      });
      // A failure that is not the data's fails the batch, to be retried.
      await knex.destroy();
      await expect(ingest.ingestIsolating(makeRequest())).rejects.toThrow();
    },
  );

  it.each(databases.eachSupportedId())(
    'stores the longest names and texts the event contract takes, in the scripts with the most bytes, on %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      await applyDatabaseMigrations(knex);
      const ingest = new IngestService(knex);
      // Every column of the decisions' covering replay index at its longest: PostgreSQL
      // refuses an index row over 2,704 bytes, which would fail the whole batch.
      const name = (letter: string) => letter.repeat(63);
      const scope = {
        id: 'i'.repeat(128),
        requestId: 'r'.repeat(128),
        cell: name('c'),
        tenant: name('t'),
        agent: name('a'),
        stateVersion: 'ヴ'.repeat(64),
      };
      const decision = makeDecision({
        ...scope,
        requestedModel: 'モ'.repeat(200),
        chosen: name('m'),
        requiredCapabilities: ['tools', 'vision', 'json-mode', 'logprobs'],
        candidates: [
          { modelProfile: name('m'), kept: true, rank: 0, score: 1 },
          { modelProfile: name('n'), kept: false, dropReason: 'residency' },
        ],
      });
      const usage = makeUsage({
        ...scope,
        id: 'u'.repeat(128),
        modelProfile: name('m'),
        provider: 'プ'.repeat(64),
      });
      // What the contract takes, as ingest's check would.
      expect(platformEventSchema.array().parse([decision, usage])).toHaveLength(
        2,
      );
      expect(await ingest.ingest([decision, usage])).toEqual({
        stored: 2,
        duplicates: 0,
      });
    },
  );

  it.each(databases.eachSupportedId())(
    'stores the largest values the event contract takes (the contract refuses larger ones), on %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      await applyDatabaseMigrations(knex);
      const ingest = new IngestService(knex);
      const largest = makeUsage({
        inputTokens: 2_147_483_647,
        outputTokens: 2_147_483_647,
        costUsd: 1e12,
        timestamp: '2099-12-31T23:59:59.999Z',
      });
      const [decision] = makeRequest({ timestamp: '2000-01-01T00:00:00.000Z' });
      expect(await ingest.ingest([largest, decision])).toEqual({
        stored: 2,
        duplicates: 0,
      });
      expect(await totals(knex, 'platform_rollups_minute')).toMatchObject({
        requests: 1,
        cost: 1e12,
        inputTokens: 2_147_483_647,
      });
    },
  );
});
