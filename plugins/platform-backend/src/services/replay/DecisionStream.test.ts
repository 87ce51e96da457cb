import { RoutingDecision, UsageEvent } from '@cellport/plugin-platform-common';
import {
  createTestDatabases,
  makeDecision,
  makeRequest,
  makeUsage,
} from '@cellport/plugin-platform-node-test-utils';
import { Knex } from 'knex';
import { applyDatabaseMigrations } from '../../database/migrations';
import { IngestService } from '../ingest/IngestService';
import {
  DecisionScope,
  DecisionStream,
  StoredDecision,
} from './DecisionStream';

jest.setTimeout(60_000);

const T0 = Date.UTC(2026, 10, 20, 10);
const at = (ms: number) => new Date(T0 + ms).toISOString();
const FEATURES = {
  featuresVersion: 1 as const,
  modelType: 'chat' as const,
  requestedModel: 'auto',
  classification: 'CONFIDENTIAL' as const,
  requiredCapabilities: ['tools' as const, 'json-mode' as const],
  estimatedInputTokens: 1234,
  promptTokenBound: 4321,
  promptImages: 2,
  maxOutputTokens: 512,
  choices: 3,
  complexity: 0.123456789,
  remainingBudgetUsd: -1.25,
};

/** What the stream must give for a stored decision and the usage joined to it. */
function expected(
  decision: RoutingDecision,
  usage: UsageEvent | undefined,
): StoredDecision {
  const features = decision.features;
  return {
    id: decision.id,
    ts: Date.parse(decision.timestamp),
    tenant: decision.tenant,
    agent: decision.agent ?? null,
    requestedModel: decision.requestedModel,
    firstChoice:
      decision.candidates.find(c => c.kept && c.rank === 0)?.modelProfile ??
      null,
    chosen: decision.chosen ?? null,
    dropReasons: decision.candidates.some(c => c.dropReason)
      ? ',residency,'
      : '',
    errorClass: decision.errorClass ?? null,
    stateVersion: decision.stateVersion,
    featuresVersion: features?.featuresVersion ?? null,
    modelType: features?.modelType ?? null,
    classification: features?.classification ?? null,
    complexity: features?.complexity ?? decision.complexityScore,
    promptTokens:
      features?.estimatedInputTokens ?? decision.estimatedInputTokens,
    promptTokenBound: features?.promptTokenBound ?? null,
    promptImages: features?.promptImages ?? null,
    maxOutputTokens: features?.maxOutputTokens ?? null,
    choices: features?.choices ?? null,
    requiredCapabilities: (
      features?.requiredCapabilities ?? decision.requiredCapabilities
    ).join(','),
    remainingBudgetUsd: features?.remainingBudgetUsd ?? null,
    inputTokens: usage?.inputTokens ?? null,
    outputTokens: usage?.outputTokens ?? null,
    costUsd: usage?.costUsd ?? null,
  };
}

async function readAll(
  stream: DecisionStream,
  scope: DecisionScope,
): Promise<StoredDecision[][]> {
  const batches: StoredDecision[][] = [];
  for await (const batch of stream.batches(scope)) batches.push(batch);
  return batches;
}

describe('DecisionStream', () => {
  const databases = createTestDatabases();

  describe.each(databases.eachSupportedId())('on %p', databaseId => {
    let knex: Knex;
    /** The scope's decisions in (time, id) order, and the usage each must carry. */
    const inScope: Array<[RoutingDecision, UsageEvent | undefined]> = [];
    let twiceCharged: RoutingDecision;

    beforeAll(async () => {
      knex = await databases.init(databaseId);
      await applyDatabaseMigrations(knex);
      const events: Array<RoutingDecision | UsageEvent> = [];
      const request = (
        ms: number,
        id: string,
        decision: Partial<RoutingDecision> = {},
        scope: Partial<UsageEvent> = {},
      ) => {
        const [d, u] = makeRequest(
          { timestamp: at(ms), ...scope },
          { id, ...decision },
        );
        events.push(d, u);
        return [d, u] as [RoutingDecision, UsageEvent];
      };
      // Five decisions at the same millisecond: batches of two end inside them.
      for (const id of ['d-a', 'd-b', 'd-c', 'd-d', 'd-e']) {
        inScope.push(request(0, id, { features: FEATURES }));
      }
      // What a caller may put in `model`: tabs, newlines, backslashes, quotes, any script.
      inScope.push(
        request(5, 'd-f', {
          requestedModel: 'gpt\t4o\nmini \\ "q" \\N ü 模型 🚀',
          features: { ...FEATURES, requestedModel: 'x' },
        }),
      );
      // Recorded before features were: their columns are NULL.
      inScope.push(request(6, 'd-g', { features: undefined }));
      // Refused, no agent, no usage event.
      const refused = makeDecision({
        id: 'd-h',
        timestamp: at(7),
        agent: undefined,
        chosen: undefined,
        errorClass: 'budget-exhausted',
        outcome: 'rejected',
        candidates: [],
      });
      events.push(refused);
      inScope.push([refused, undefined]);
      // A producer that sent a request's usage twice, under two event ids, with other
      // figures: the decision counts once, with the usage of the lowest event id.
      const [charged, firstUsage] = request(8, 'd-i');
      twiceCharged = charged;
      events.push(
        makeUsage({
          id: `${firstUsage.id}-again`,
          requestId: charged.requestId,
          timestamp: charged.timestamp,
          inputTokens: 999_999,
          outputTokens: 999_999,
          costUsd: 99,
        }),
      );
      inScope.push([charged, firstUsage]);
      // Names with quotes and backslashes: the scope is written into COPY's SQL, escaped.
      request(
        1,
        "d-'quoted'\\",
        {},
        { cell: "o'brien\\cell", agent: "agent'; DROP TABLE x; --" },
      );
      // Outside the scope: another cell at the same time, the range's end, another agent.
      request(0, 'd-other-cell', {}, { cell: 'us-east-dedicated-1' });
      request(10, 'd-at-end');
      request(3, 'd-other-agent', {}, { agent: 'returns-bot' });
      await new IngestService(knex).ingest(events);
    });

    const scope: DecisionScope = {
      cell: 'eu-west-shared-1',
      agent: 'checkout-assistant',
      from: T0,
      to: T0 + 10,
    };

    it.each([1, 2, 3, 100])(
      'reads every decision of the scope once, in order, in batches of %p',
      async batchSize => {
        const batches = await readAll(
          new DecisionStream(knex, batchSize),
          scope,
        );
        expect(batches.every(b => b.length <= batchSize)).toBe(true);
        const read = batches.flat();
        const want = inScope
          .filter(([d]) => d.agent === 'checkout-assistant')
          .map(([d, u]) => expected(d, u));
        expect(read).toEqual(want);
        expect(read.filter(d => d.id === twiceCharged.id)).toHaveLength(1);
      },
    );

    it('reads a whole cell, decisions without an agent included', async () => {
      const read = (
        await readAll(new DecisionStream(knex, 2), {
          ...scope,
          agent: undefined,
        })
      ).flat();
      expect(read.map(d => d.id)).toEqual([
        'd-a',
        'd-b',
        'd-c',
        'd-d',
        'd-e',
        'd-other-agent',
        'd-f',
        'd-g',
        'd-h',
        'd-i',
      ]);
      expect(read.find(d => d.id === 'd-h')).toEqual(
        expected(inScope.find(([d]) => d.id === 'd-h')![0], undefined),
      );
    });

    it('reads a scope whose names hold quotes and backslashes', async () => {
      const read = (
        await readAll(new DecisionStream(knex, 1), {
          cell: "o'brien\\cell",
          agent: "agent'; DROP TABLE x; --",
          from: T0,
          to: T0 + 10,
        })
      ).flat();
      expect(read.map(d => [d.id, d.agent, d.inputTokens])).toEqual([
        ["d-'quoted'\\", "agent'; DROP TABLE x; --", 800],
      ]);
    });

    it('reads nothing from an empty range', async () => {
      expect(
        await readAll(new DecisionStream(knex), {
          ...scope,
          from: T0 + 11,
          to: T0 + 20,
        }),
      ).toEqual([]);
    });
  });
});
