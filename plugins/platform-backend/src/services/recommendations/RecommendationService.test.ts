import { Entity } from '@backstage/catalog-model';
import {
  PlatformEvent,
  ROUTING_FEATURES_VERSION,
  RoutingFeatures,
} from '@cellport/plugin-platform-common';
import { Knex } from 'knex';
import { applyDatabaseMigrations } from '../../database/migrations';
import { testPlatformCatalog } from '../../__testUtils__/entities';
import {
  agentHistory,
  RECOMMENDATION_ENTITIES,
} from '../../__testUtils__/recommendationCatalog';
import { IngestService } from '../ingest/IngestService';
import { ReplayService } from '../replay/ReplayService';
import { PRIVATE_CAPACITY_REASON } from './candidateChanges';
import { RecommendationService } from './RecommendationService';
import {
  createTestDatabases,
  makeDecision,
  makeUsage,
  nextId,
} from '@cellport/plugin-platform-node-test-utils';
import { ManualClock } from '@cellport/plugin-platform-node';

jest.setTimeout(180_000);

const NOW = Date.UTC(2026, 10, 20);
const DAY = 86_400_000;
const MINUTE = 60_000;

/**
 * checkout-assistant served only by the frontier model, the one with vision, under the cost
 * policy: the economy model, its only cheaper candidate, lacks vision but fits under the run
 * cost cap where the frontier model does not.
 */
const VISION_ENTITIES: Entity[] = RECOMMENDATION_ENTITIES.map(entity => {
  const { name } = entity.metadata;
  if (entity.kind === 'ModelProfile' && name === 'azure-gpt-4o-eu') {
    const spec = entity.spec as { capabilities: object };
    return {
      ...entity,
      spec: {
        ...entity.spec,
        capabilities: { ...spec.capabilities, features: ['tools', 'vision'] },
      },
    };
  }
  if (entity.kind === 'Agent' && name === 'checkout-assistant') {
    return {
      ...entity,
      spec: {
        ...entity.spec,
        modelProfiles: ['azure-gpt-4o-eu'],
        routing: {
          policy: 'cost',
          fallbackChain: [],
          maxFallbacks: 0,
          requiredCapabilities: ['tools'],
        },
      },
    };
  }
  return entity;
});

/**
 * checkout-assistant's requests as recorded under VISION_ENTITIES: `plain` and `vision` ones
 * served by the frontier model ($0.007 each), and `overCap` ones refused for asking for more
 * output than the run cost cap pays for on it.
 */
function visionHistory(counts: {
  plain: number;
  vision: number;
  overCap: number;
}): PlatformEvent[] {
  const events: PlatformEvent[] = [];
  const add = (
    requiredCapabilities: Array<'tools' | 'vision'>,
    maxOutputTokens: number,
    served: boolean,
  ) => {
    const requestId = nextId('req');
    const timestamp = new Date(
      NOW - DAY - events.length * MINUTE,
    ).toISOString();
    const features: RoutingFeatures = {
      featuresVersion: ROUTING_FEATURES_VERSION,
      modelType: 'chat',
      requestedModel: 'auto',
      agent: 'checkout-assistant',
      classification: 'INTERNAL',
      requiredCapabilities,
      estimatedInputTokens: 800,
      promptTokenBound: 900,
      maxOutputTokens,
      choices: 1,
      complexity: 0.3,
    };
    const common = { requestId, timestamp, requiredCapabilities, features };
    if (served) {
      events.push(
        makeDecision({
          ...common,
          requestedModel: 'auto',
          policy: 'cost',
          candidates: [
            { modelProfile: 'azure-gpt-4o-eu', kept: true, rank: 0, score: 1 },
          ],
          chosen: 'azure-gpt-4o-eu',
        }),
        makeUsage({
          requestId,
          timestamp,
          modelProfile: 'azure-gpt-4o-eu',
          inputTokens: 800,
          outputTokens: 500,
          costUsd: 0.007,
        }),
      );
      return;
    }
    events.push(
      makeDecision({
        ...common,
        requestedModel: 'auto',
        policy: 'cost',
        candidates: [
          {
            modelProfile: 'azure-gpt-4o-eu',
            kept: false,
            dropReason: 'budget',
            detail: 'over the per-run cap',
          },
        ],
        chosen: undefined,
        outcome: 'rejected',
        errorClass: 'budget-exhausted',
      }),
      makeUsage({
        requestId,
        timestamp,
        modelProfile: undefined,
        inputTokens: 0,
        outputTokens: 0,
        costUsd: 0,
        status: 402,
        outcome: 'rejected',
        errorClass: 'budget-exhausted',
      }),
    );
  };
  for (let i = 0; i < counts.plain; i++) add(['tools'], 500, true);
  for (let i = 0; i < counts.vision; i++) add(['tools', 'vision'], 500, true);
  for (let i = 0; i < counts.overCap; i++) add(['tools'], 10_000, false);
  return events;
}

describe('RecommendationService', () => {
  const databases = createTestDatabases();
  const clock = new ManualClock(NOW);
  const catalog = testPlatformCatalog(clock, RECOMMENDATION_ENTITIES);

  describe.each(databases.eachSupportedId())('on %p', databaseId => {
    let knex: Knex;
    let service: RecommendationService;
    beforeAll(async () => {
      knex = await databases.init(databaseId);
      await applyDatabaseMigrations(knex);
      const range = { from: NOW - 7 * DAY, to: NOW };
      await new IngestService(knex).ingest([
        // Served by the frontier model at its price: the economy one is a twentieth of it.
        ...agentHistory({
          agent: 'checkout-assistant',
          tenant: 'northwind-retail',
          cell: 'eu-west-shared-1',
          classification: 'INTERNAL',
          ...range,
          perHour: 6,
          served: 'azure-gpt-4o-eu',
          pricePerMillion: [2.5, 10],
        }),
        ...agentHistory({
          agent: 'homework-helper',
          tenant: 'brightpath-edu',
          cell: 'eu-west-shared-1',
          classification: 'PUBLIC',
          ...range,
          perHour: 2,
          served: 'llama-3-1-70b-eu',
          pricePerMillion: [0, 0],
        }),
      ]);
      const replay = new ReplayService(knex, catalog);
      service = new RecommendationService(
        catalog,
        (request, options) => replay.replay(request, options),
        clock,
      );
    });

    it("ranks a tenant's agents' cheaper changes by monthly saving, with the replay as evidence and the risk", async () => {
      const result = await service.recommend(
        await service.check({ tenant: 'northwind-retail', days: 7 }),
      );
      expect(result.recommendations.map(r => r.change.summary)).toEqual([
        'policy balanced → cost',
        'prefer azure-gpt-4o-mini-eu only (was azure-gpt-4o-mini-eu, azure-gpt-4o-eu)',
      ]);
      const [first] = result.recommendations;
      expect(first).toMatchObject({
        rank: 1,
        agent: 'checkout-assistant',
        tenant: 'northwind-retail',
        cell: 'eu-west-shared-1',
        change: { kind: 'policy', policy: 'cost' },
      });
      const { evidence, risk } = first;
      // 7 days of 6 an hour; all replayed, priced as recorded (2.5 + 10 per million tokens).
      expect(evidence.decisionsReplayed).toBe(7 * 24 * 6);
      expect(evidence.recordedUsd).toBeCloseTo(1008 * 0.0055, 6);
      // Everything moves to the economy model: 1000 in and 300 out at 0.15 and 0.6.
      expect(evidence.proposedUsd).toBeCloseTo(1008 * 0.00033, 6);
      expect(first.savingUsd).toBeCloseTo(
        evidence.currentUsd - evidence.proposedUsd,
        6,
      );
      // Seven days scaled to thirty, and said so.
      expect(evidence.monthlyFactor).toBeCloseTo(30 / 7, 3);
      expect(first.monthlySavingUsd).toBeCloseTo((first.savingUsd * 30) / 7, 4);
      expect(result.notes[0]).toMatch(/scaled to 30 days \(×4\.29\)/);
      // The risk: requests the balanced policy sent to the frontier model go to economy.
      expect(risk.qualityTiers.proposed).toEqual({ economy: 1008 });
      expect(risk.lowerTier).toBe(risk.qualityTiers.current.frontier);
      expect(risk.lowerTier).toBeGreaterThan(0);
      expect(risk.level).toBe('medium');
      expect(risk.newRefusals).toBe(0);
      expect(risk.changedRoutes).toBeGreaterThan(0);
      expect(risk.sampleDecisionIds.length).toBeGreaterThan(0);
      // The dearer single preference saves nothing: replayed, not recommended.
      expect(result.skipped).toEqual([
        expect.objectContaining({
          agent: 'checkout-assistant',
          change: expect.stringContaining('prefer azure-gpt-4o-eu only'),
          reason: expect.stringMatching(/^no saving/),
        }),
      ]);
      expect(result.notes.join(' ')).toMatch(/declares no quality floor/);
      expect(result.caveats.join(' ')).toMatch(/Outputs would differ/);
      expect(result.replays).toBe(4);
    });

    it("never proposes a route across the tenant's boundaries, however much cheaper", async () => {
      const result = await service.recommend(
        await service.check({ tenant: 'northwind-retail', days: 7 }),
      );
      // The other tenant's deployment is in the catalog, so its profile is private capacity.
      expect(
        (await catalog.entities()).inferenceDeployments.map(
          d => d.metadata.name,
        ),
      ).toContain('acme-llama-dedicated');
      // Every one of these is on the tenant's allowlist and cheaper than what it uses.
      const outside = [
        'acme-llama-dedicated',
        'us-east-cheap',
        'public-only-cheap',
        'no-tools-cheap',
      ];
      const mentioned = JSON.stringify([
        result.recommendations,
        result.skipped,
      ]);
      for (const name of outside) expect(mentioned).not.toContain(name);
      const reasons = Object.fromEntries(
        result.excludedProfiles.map(p => [p.modelProfile, p.reasons]),
      );
      expect(reasons['acme-llama-dedicated']).toEqual([
        PRIVATE_CAPACITY_REASON,
      ]);
      expect(reasons['us-east-cheap'].join()).toMatch(/residency/);
      expect(reasons['public-only-cheap'].join()).toMatch(/PUBLIC/);
      expect(reasons['no-tools-cheap'].join()).toMatch(/lacks tools/);
      // The other tenant is not named to this one.
      expect(JSON.stringify(result)).not.toContain('acme-bank');
    });

    it("covers a cell's agents, and says which had nothing to replay", async () => {
      const result = await service.recommend(
        await service.check({ cell: 'eu-west-shared-1', days: 7 }),
      );
      expect(new Set(result.recommendations.map(r => r.agent))).toEqual(
        new Set(['checkout-assistant']),
      );
      // The free self-hosted model is already homework-helper's: the hosted one costs more.
      expect(result.skipped).toContainEqual(
        expect.objectContaining({
          agent: 'homework-helper',
          reason: expect.stringMatching(/^no saving/),
        }),
      );
      const empty = await service.recommend(
        await service.check({ cell: 'us-east-shared-1', days: 7 }),
      );
      expect(empty.recommendations).toEqual([]);
    });

    describe('counting new refusals request by request', () => {
      const recommendWith = async (history: PlatformEvent[]) => {
        const db = await databases.init(databaseId);
        await applyDatabaseMigrations(db);
        await new IngestService(db).ingest(history);
        const visionCatalog = testPlatformCatalog(clock, VISION_ENTITIES);
        const replay = new ReplayService(db, visionCatalog);
        const own = new RecommendationService(
          visionCatalog,
          (request, options) => replay.replay(request, options),
          clock,
        );
        return own.recommend(
          await own.check({ tenant: 'northwind-retail', days: 7 }),
        );
      };

      it('skips a candidate whose new refusals are cancelled in total by requests it newly serves', async () => {
        // The economy model refuses the 50 vision requests and serves the 50 over the cap:
        // as many refusals in total as today, but a third of what is served today refused.
        const result = await recommendWith(
          visionHistory({ plain: 100, vision: 50, overCap: 50 }),
        );
        expect(result.recommendations).toEqual([]);
        expect(result.skipped).toEqual([
          {
            agent: 'checkout-assistant',
            change: expect.stringContaining('prefer azure-gpt-4o-mini-eu only'),
            reason:
              'it would refuse 50 of the 150 requests that the current state serves',
          },
        ]);
      });

      it('saves only over the requests both serve, and says what it newly refuses and serves', async () => {
        // One vision request in 101 served: within the 1% allowed, so recommended, at risk.
        const result = await recommendWith(
          visionHistory({ plain: 100, vision: 1, overCap: 1 }),
        );
        expect(result.skipped).toEqual([]);
        const [only] = result.recommendations;
        expect(only.change.summary).toMatch(
          /^prefer azure-gpt-4o-mini-eu only/,
        );
        // The refused vision request's $0.007 is no saving: 100 × ($0.007 − $0.00042).
        expect(only.evidence.bothServe).toEqual({
          decisions: 100,
          currentUsd: 0.7,
          proposedUsd: 0.042,
        });
        expect(only.savingUsd).toBeCloseTo(0.658, 6);
        expect(only.risk).toMatchObject({
          level: 'high',
          newRefusals: 1,
          newlyServed: 1,
        });
        expect(only.risk.notes).toEqual(
          expect.arrayContaining([
            '1 of the 101 requests the current state serves would be refused.',
            expect.stringMatching(
              /^1 requests the current state refuses would be served/,
            ),
          ]),
        );
      });
    });

    it('bounds its work: days, and replays per request, naming the agents left out', async () => {
      await expect(
        service.check({ tenant: 'northwind-retail', days: 15 }),
      ).rejects.toThrow('days: must be a whole number of days from 1 to 14');
      await expect(
        service.check({ tenant: 'northwind-retail', cell: 'x', days: 7 }),
      ).rejects.toThrow(/cell: name a cell or a tenant/);
      await expect(
        service.check({ tenant: 'nobody', days: 7 }),
      ).rejects.toThrow('tenant "nobody" is not in the catalog');
      const replay = new ReplayService(knex, catalog);
      const small = new RecommendationService(
        catalog,
        (request, options) => replay.replay(request, options),
        clock,
        { maxReplays: 3 },
      );
      const result = await small.recommend(
        await small.check({ cell: 'eu-west-shared-1', days: 7 }),
      );
      // checkout-assistant needs 4 replays (a baseline and 3 candidates): more than allowed.
      expect(result.agentsNotEvaluated).toEqual(['checkout-assistant']);
      expect(result.replays).toBeLessThanOrEqual(3);
      const aborted = new AbortController();
      aborted.abort(new Error('client went away'));
      await expect(
        service.recommend(
          await service.check({ tenant: 'northwind-retail', days: 7 }),
          { signal: aborted.signal },
        ),
      ).rejects.toThrow('client went away');
    });
  });
});
