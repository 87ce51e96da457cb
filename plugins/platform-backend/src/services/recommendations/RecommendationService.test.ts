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
import { createTestDatabases } from '@cellport/plugin-platform-node-test-utils';
import { ManualClock } from '@cellport/plugin-platform-node';

jest.setTimeout(180_000);

const NOW = Date.UTC(2026, 10, 20);
const DAY = 86_400_000;

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
