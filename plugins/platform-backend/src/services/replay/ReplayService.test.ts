import { Entity } from '@backstage/catalog-model';
import { mockServices } from '@backstage/backend-test-utils';
import {
  DEMO_OUTAGE_ANNOTATION,
  DemoBackfill,
  demoRequestsFor,
} from '@cellport/plugin-platform-backend-module-demo';
import { RoutingDecision } from '@cellport/plugin-platform-common';
import { cellRoutingState, ManualClock } from '@cellport/plugin-platform-node';
import { Knex } from 'knex';
import { applyDatabaseMigrations } from '../../database/migrations';
import {
  TEST_ENTITIES,
  testPlatformCatalog,
} from '../../__testUtils__/entities';
import { GpuReplicaSampleStore } from '../cost/GpuReplicaSampleStore';
import { HistoryConnection } from '../history/HistoryConnection';
import { IngestService } from '../ingest/IngestService';
import { ReplayService } from './ReplayService';
import type { ReplayResult } from './replayTypes';
import { createTestDatabases } from '@cellport/plugin-platform-node-test-utils';

jest.setTimeout(180_000);

const NOW = Date.UTC(2026, 10, 20);
const DAYS = 14;
const range = {
  from: new Date(NOW - DAYS * 86_400_000).toISOString(),
  to: new Date(NOW).toISOString(),
};

/** The test catalog, its shared cell with two hours of outage at the end of its history. */
const entities: Entity[] = TEST_ENTITIES.map(entity =>
  entity.kind === 'Cell' && entity.metadata.name === 'eu-west-shared-1'
    ? {
        ...entity,
        metadata: {
          ...entity.metadata,
          annotations: {
            ...entity.metadata.annotations,
            [DEMO_OUTAGE_ANNOTATION]: '2',
          },
        },
      }
    : entity,
);

function withoutTiming(result: ReplayResult) {
  const { elapsedMs, ...rest } = result;
  return rest;
}

describe('ReplayService', () => {
  const databases = createTestDatabases();
  const catalog = testPlatformCatalog(new ManualClock(NOW), entities);

  async function demoHistory(databaseId: Parameters<typeof databases.init>[0]) {
    const knex = await databases.init(databaseId);
    await applyDatabaseMigrations(knex);
    const backfill = new DemoBackfill(
      new HistoryConnection({
        db: knex,
        catalog,
        ingest: new IngestService(knex),
        gpuSamples: new GpuReplicaSampleStore(knex, 600_000),
      }),
      () => NOW,
      mockServices.logger.mock(),
    );
    await backfill.backfill(DAYS);
    return knex;
  }

  describe.each(databases.eachSupportedId())('on %p', databaseId => {
    let knex: Knex;
    let replay: ReplayService;
    beforeAll(async () => {
      knex = await demoHistory(databaseId);
      replay = new ReplayService(knex, catalog);
    });

    it('reproduces the recorded routes of the demo history under the unchanged state, listing why the others differ', async () => {
      const result = await replay.replay({
        cell: 'eu-west-shared-1',
        ...range,
      });
      const determinism = result.determinism!;
      expect(determinism.compared).toBeGreaterThan(5000);
      expect(determinism.share).toBeGreaterThanOrEqual(0.999);
      // The demo routed a few requests while a breaker was open (the outage): those differ,
      // and say so; nothing else may.
      expect(determinism.reproduced).toBeLessThan(determinism.compared);
      expect(Object.keys(determinism.byCause)).toEqual(['breaker']);
      expect(determinism.sample.length).toBeGreaterThan(0);
      for (const difference of determinism.sample) {
        expect(difference.cause).toBe('breaker');
        expect(difference.recorded).not.toEqual(difference.proposed);
      }
      expect(result.changedRoutes.byChange).toBe(0);
      expect(result.decisions.featuresMissing.decisions).toBe(0);
      expect(result.cost.byAgent.map(a => a.agent).sort()).toEqual([
        'checkout-assistant',
        'homework-helper',
      ]);
      expect(result.caveats.join(' ')).toMatch(/Outputs would differ/);
      expect(result.caveats.join(' ')).toMatch(/Token counts are the recorded/);
    });

    it('reads the same whatever the batch size (keyset pagination loses and repeats nothing)', async () => {
      const request = { agent: 'checkout-assistant', ...range };
      const small = await new ReplayService(knex, catalog, {
        batchSize: 97,
      }).replay(request);
      const large = await replay.replay(request);
      expect(withoutTiming(small)).toEqual(withoutTiming(large));
      const [{ count }] = await knex('platform_routing_decisions')
        .where('agent', 'checkout-assistant')
        .count({ count: '*' });
      expect(small.decisions.read).toBe(Number(count));
    });

    it('prices the recorded tokens at proposed prices', async () => {
      const request = { agent: 'checkout-assistant', ...range };
      const base = await replay.replay(request);
      const halved = await replay.replay({
        ...request,
        change: {
          modelProfiles: {
            'azure-gpt-4o-eu': {
              inputPerMillionUsd: 1.25,
              outputPerMillionUsd: 5,
            },
            'azure-gpt-4o-mini-eu': {
              inputPerMillionUsd: 1.25,
              outputPerMillionUsd: 5,
            },
          },
        },
      });
      // Both profiles' prices move together, so no route changes; every cost halves.
      expect(halved.changedRoutes.byChange).toBe(0);
      expect(base.cost.proposedUsd).toBeGreaterThan(1);
      expect(halved.cost.proposedUsd).toBeCloseTo(base.cost.proposedUsd / 2, 4);
      expect(halved.cost.recordedUsd).toBe(base.cost.recordedUsd);
      expect(halved.cost.byAgent[0].proposedUsd).toBeCloseTo(
        base.cost.byAgent[0].proposedUsd / 2,
        4,
      );
    });

    it('moves routes to what a cheaper profile and a cost policy make the router choose', async () => {
      const result = await replay.replay({
        agent: 'checkout-assistant',
        ...range,
        change: {
          agents: { 'checkout-assistant': { policy: 'cost' } },
          modelProfiles: {
            'azure-gpt-4o-mini-eu': {
              inputPerMillionUsd: 0.15,
              outputPerMillionUsd: 0.6,
            },
          },
        },
      });
      expect(result.qualityTiers.proposed).toEqual({
        economy: result.decisions.replayed,
      });
      expect(result.qualityTiers.recorded.frontier).toBeGreaterThan(0);
      expect(result.cost.proposedUsd).toBeLessThan(result.cost.recordedUsd / 5);
      expect(result.changedRoutes.byChange).toBeGreaterThan(0);
      const moved = result.changedRoutes.sample.filter(
        r => r.cause === 'change',
      );
      expect(moved.length).toBeGreaterThan(0);
      for (const route of moved) {
        expect(route.proposed).toBe('azure-gpt-4o-mini-eu');
        expect(route.proposedCandidates).toEqual(
          expect.arrayContaining([
            expect.objectContaining({
              modelProfile: 'azure-gpt-4o-mini-eu',
              kept: true,
              rank: 0,
            }),
          ]),
        );
      }
      expect(result.changedRoutes.sample.length).toBeLessThanOrEqual(25);
    });

    it('refuses what an outage, an allowlist or a residency change leaves no route for, and says why', async () => {
      const outage = await replay.replay({
        agent: 'homework-helper',
        ...range,
        change: { modelProfiles: { 'llama-3-1-70b-eu': { down: true } } },
      });
      expect(outage.refusals.proposed).toEqual([
        expect.objectContaining({
          reason: 'circuit-open',
          code: 'upstream_unavailable',
          count: outage.decisions.replayed,
        }),
      ]);
      expect(outage.qualityTiers.proposed).toEqual({
        refused: outage.decisions.replayed,
      });
      expect(outage.cost.proposedUsd).toBe(0);

      const pinned = await replay.replay({
        agent: 'checkout-assistant',
        ...range,
        change: {
          tenants: { 'northwind-retail': { residencyRegions: ['eu-west-1'] } },
        },
      });
      expect(pinned.refusals.proposed).toEqual([
        expect.objectContaining({
          reason: 'residency',
          code: 'residency_not_allowed',
          count: pinned.decisions.replayed,
          example: expect.stringContaining('region swedencentral outside'),
        }),
      ]);

      const narrowed = await replay.replay({
        agent: 'checkout-assistant',
        ...range,
        change: {
          tenants: {
            'northwind-retail': { allowedModels: ['azure-gpt-4o-mini-eu'] },
          },
        },
      });
      expect(narrowed.refusals.proposed).toEqual([]);
      expect(narrowed.qualityTiers.proposed).toEqual({
        economy: narrowed.decisions.replayed,
      });
    });

    it('reroutes a removed profile to what the tenant may still use', async () => {
      const result = await replay.replay({
        agent: 'homework-helper',
        ...range,
        change: { modelProfiles: { 'llama-3-1-70b-eu': { removed: true } } },
      });
      // `auto` falls back to the tenant's allowlist; a request naming the removed model's
      // alias has no model left.
      expect(result.qualityTiers.proposed.economy).toBeGreaterThan(0);
      expect(result.refusals.proposed).toEqual([
        expect.objectContaining({
          reason: 'model-not-found',
          code: 'model_not_found',
        }),
      ]);
      expect(result.latency.observed.map(p => p.modelProfile)).toEqual([
        'llama-3-1-70b-eu',
      ]);
      // The economy profile has no observed latency in this agent's range.
      expect(result.latency.unobservedRoutes).toBeGreaterThan(0);
      expect(result.latency.recordedMeanMs).toBeGreaterThan(0);
    });

    it('answers bad requests with errors naming the field', async () => {
      const bad = (request: object) =>
        replay.replay({ ...range, cell: 'eu-west-shared-1', ...request });
      await expect(bad({ from: 'yesterday' })).rejects.toMatchObject({
        name: 'InputError',
        message: 'from: must be an ISO 8601 time',
      });
      await expect(
        bad({ from: '2026-01-01T00:00:00Z', to: '2026-03-01T00:00:00Z' }),
      ).rejects.toMatchObject({
        name: 'InputError',
        message: expect.stringMatching(/^to: a replay covers at most 31 days/),
      });
      await expect(
        bad({ change: { agents: { 'ghost-agent': { policy: 'cost' } } } }),
      ).rejects.toMatchObject({
        name: 'InputError',
        message: expect.stringContaining('change.agents.ghost-agent'),
      });
      await expect(
        bad({
          change: { agents: { 'checkout-assistant': { policy: 'cheapest' } } },
        }),
      ).rejects.toMatchObject({
        name: 'InputError',
        message: expect.stringContaining(
          'change.agents.checkout-assistant.policy',
        ),
      });
      await expect(
        bad({
          change: {
            tenants: {
              'northwind-retail': { allowedModels: ['Ünïcødé-model'] },
            },
          },
        }),
      ).rejects.toMatchObject({
        name: 'InputError',
        message: expect.stringContaining(
          'change.tenants.northwind-retail.allowedModels.0',
        ),
      });
      await expect(bad({ cell: 'nowhere' })).rejects.toMatchObject({
        name: 'NotFoundError',
      });
      await expect(
        replay.replay({
          ...range,
          agent: 'homework-helper',
          cell: 'us-east-shared-1',
        }),
      ).rejects.toMatchObject({
        name: 'InputError',
        message: expect.stringMatching(/^cell:/),
      });
    });

    it('stops between batches when cancelled', async () => {
      const controller = new AbortController();
      const progress: number[] = [];
      await expect(
        new ReplayService(knex, catalog, { batchSize: 500 }).replay(
          { cell: 'eu-west-shared-1', ...range },
          {
            signal: controller.signal,
            onProgress: p => {
              progress.push(p.decisions);
              controller.abort(new Error('cancelled by the user'));
            },
          },
        ),
      ).rejects.toThrow('cancelled by the user');
      expect(progress).toEqual([500]);
    });

    it('replays decisions recorded before features with what they have, naming what was missing', async () => {
      const agent = (await catalog.entities()).agents.find(
        a => a.metadata.name === 'checkout-assistant',
      )!;
      const legacy = demoRequestsFor(
        agent,
        cellRoutingState('eu-west-shared-1', await catalog.entities()).state,
        NOW - 3 * 86_400_000 + 1800_000,
      ).map(event => {
        const { features, ...rest } = event as RoutingDecision;
        return {
          ...rest,
          id: `legacy-${event.id}`,
          requestId: `legacy-${event.requestId}`,
        } as RoutingDecision;
      });
      await new IngestService(knex).ingest(legacy);
      const decisions = legacy.filter(
        e => e.type === 'routing-decision',
      ).length;
      const result = await replay.replay({
        agent: 'checkout-assistant',
        ...range,
      });
      expect(result.decisions.featuresMissing.decisions).toBe(decisions);
      expect(result.decisions.featuresMissing.byFeature).toMatchObject({
        classification: decisions,
        maxOutputTokens: decisions,
      });
      expect(result.caveats.join(' ')).toContain(
        `${decisions} decisions were recorded before their routing features were`,
      );
    });
  });
});
