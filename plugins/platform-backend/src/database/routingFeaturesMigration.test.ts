import { decisionRow } from '../services/ingest/eventRows';
import { applyDatabaseMigrations, MIGRATION_CONFIG } from './migrations';
import {
  createTestDatabases,
  makeDecision,
} from '@cellport/plugin-platform-node-test-utils';

jest.setTimeout(60_000);

const MIGRATION = '20261203_routing_features.js';

describe('the routing features migration', () => {
  const databases = createTestDatabases();

  it.each(databases.eachSupportedId())(
    'copies what decisions stored before it recorded into the replay columns, on %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      await applyDatabaseMigrations(knex);
      await knex.migrate.down({ ...MIGRATION_CONFIG, name: MIGRATION });
      expect(
        await knex.schema.hasColumn('platform_routing_decisions', 'complexity'),
      ).toBe(false);

      // A decision as ingest stored it before the migration: no features, no columns.
      const legacy = makeDecision({
        complexityScore: 0.37,
        estimatedInputTokens: 912,
        requiredCapabilities: ['tools', 'vision'],
        candidates: [
          { modelProfile: 'gpt-4o-mini', kept: false, dropReason: 'residency' },
          { modelProfile: 'azure-gpt-4o-eu', kept: true, rank: 1, score: 0.5 },
          {
            modelProfile: 'azure-gpt-4o-mini-eu',
            kept: true,
            rank: 0,
            score: 0.9,
          },
        ],
      });
      const refused = makeDecision({
        requiredCapabilities: [],
        candidates: [
          { modelProfile: 'gpt-4o-mini', kept: false, dropReason: 'residency' },
        ],
        outcome: 'rejected',
        errorClass: 'forbidden',
      });
      // The columns of platform_routing_decisions before the migration.
      const columns = [
        'id',
        'request_id',
        'ts',
        'gateway',
        'cell',
        'tenant',
        'agent',
        'requested_model',
        'chosen',
        'policy',
        'outcome',
        'error_class',
        'fell_back',
        'drop_reasons',
        'router_ms',
        'state_version',
        'demo',
        'body',
      ];
      const oldRow = (d: typeof legacy) => {
        const row: Record<string, unknown> = decisionRow(d, false);
        return Object.fromEntries(columns.map(c => [c, row[c]]));
      };
      await knex('platform_routing_decisions').insert([
        oldRow(legacy),
        oldRow(refused),
      ]);

      await knex.migrate.up({ ...MIGRATION_CONFIG, name: MIGRATION });
      const rows = await knex('platform_routing_decisions')
        .select(
          'id',
          'features_version',
          'complexity',
          'prompt_tokens',
          'required_capabilities',
          'first_choice',
          'classification',
        )
        .orderBy('id');
      expect(
        rows.map(r => ({ ...r, complexity: Number(r.complexity) })),
      ).toEqual([
        {
          id: legacy.id,
          features_version: null,
          complexity: 0.37,
          prompt_tokens: 912,
          required_capabilities: 'tools,vision',
          first_choice: 'azure-gpt-4o-mini-eu',
          classification: null,
        },
        {
          id: refused.id,
          features_version: null,
          complexity: 0.3,
          prompt_tokens: 800,
          required_capabilities: '',
          first_choice: null,
          classification: null,
        },
      ]);
    },
  );
});
