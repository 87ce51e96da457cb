import { mockCredentials } from '@backstage/backend-test-utils';
import platformModuleDemo from '@cellport/plugin-platform-backend-module-demo';
import request from 'supertest';
import { ControlApiServer } from './__testUtils__/ControlApiServer';
import {
  as,
  NORTHWIND_DEV,
  OUTSIDER,
  SRE,
  tenantOwnerPolicy,
} from './__testUtils__/tenantOwnerPolicy';
import { startPlatformBackend } from './__testUtils__/startPlatformBackend';
import {
  createTestDatabases,
  makeRequest,
} from '@cellport/plugin-platform-node-test-utils';

jest.setTimeout(120_000);

const permissions = tenantOwnerPolicy();

describe('platform router', () => {
  const databases = createTestDatabases();
  const gateway = new ControlApiServer('test-admin-token');
  beforeAll(() => gateway.start());
  afterAll(() => gateway.stop());

  it.each(databases.eachSupportedId())(
    'serves ingest, explorer, SLO, cost, runtime and demo routes (the demo through the development module) with permissions, on %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      const { server } = await startPlatformBackend(knex, {
        features: [platformModuleDemo],
        permissions: permissions.factory,
        platform: {
          reconciler: {
            enabled: false,
            adminToken: 'test-admin-token',
            gateways: { 'eu-west-shared-1': { baseUrl: gateway.baseUrl } },
          },
          demo: { enabled: true },
        },
      });
      const asService = { Authorization: mockCredentials.service.header() };
      const recent = (minutesAgo: number) =>
        new Date(Date.now() - minutesAgo * 60_000).toISOString();

      // --- ingest
      const [northwindDecision, northwindUsage] = makeRequest({
        timestamp: recent(30),
      });
      const [brightpathDecision, brightpathUsage] = makeRequest({
        timestamp: recent(20),
        tenant: 'brightpath-edu',
        agent: 'homework-helper',
        modelProfile: 'llama-3-1-70b-eu',
        outcome: 'error',
        errorClass: 'upstream-timeout',
        status: 504,
      });
      const batch = {
        events: [
          northwindDecision,
          northwindUsage,
          brightpathDecision,
          brightpathUsage,
        ],
      };
      const ingested = await request(server)
        .post('/api/platform/events')
        .set(asService)
        .send(batch);
      expect(ingested.status).toBe(200);
      expect(ingested.body).toEqual({
        received: 4,
        stored: 4,
        duplicates: 0,
        rejected: 0,
      });
      const replayed = await request(server)
        .post('/api/platform/events')
        .set(asService)
        .send(batch);
      expect(replayed.body).toEqual({
        received: 4,
        stored: 0,
        duplicates: 4,
        rejected: 0,
      });

      // One event another version wrote: the rest of its batch is taken all the same (here a
      // replay, so the figures below stay those of the first batch).
      const partly = await request(server)
        .post('/api/platform/events')
        .set(asService)
        .send({
          events: [
            northwindUsage,
            {
              ...northwindDecision,
              id: 'decision-bad',
              timestamp: 'yesterday',
            },
          ],
        });
      expect(partly.status).toBe(200);
      expect(partly.body).toEqual({
        received: 2,
        stored: 0,
        duplicates: 1,
        rejected: 1,
        rejections: [
          {
            index: 1,
            message: expect.stringContaining('events[1].timestamp'),
          },
        ],
      });
      // One event the database refuses (here by a rule of the test's own): set apart with the
      // database's reason, counted once, the rest of its batch taken.
      if (knex.client.config.client === 'pg') {
        await knex.raw(
          "ALTER TABLE platform_usage_events ADD CONSTRAINT test_refused CHECK (tenant <> 'refused-tenant')",
        );
      } else {
        await knex.raw(
          "CREATE TRIGGER test_refused BEFORE INSERT ON platform_usage_events WHEN NEW.tenant = 'refused-tenant' BEGIN SELECT RAISE(ABORT, 'refused by the test'); END",
        );
      }
      const refused = await request(server)
        .post('/api/platform/events')
        .set(asService)
        .send({
          events: [
            {
              ...northwindUsage,
              id: 'usage-refused',
              tenant: 'refused-tenant',
            },
            northwindUsage,
            {
              ...northwindDecision,
              id: 'decision-bad',
              timestamp: 'yesterday',
            },
          ],
        });
      expect(refused.status).toBe(200);
      expect(refused.body).toEqual({
        received: 3,
        stored: 0,
        duplicates: 1,
        rejected: 2,
        rejections: [
          {
            index: 0,
            message: expect.stringMatching(
              /^events\[0\]: the database could not store it: .*(test_refused|refused by the test)/,
            ),
          },
          {
            index: 2,
            message: expect.stringContaining('events[2].timestamp'),
          },
        ],
      });
      const invalid = await request(server)
        .post('/api/platform/events')
        .set(asService)
        .send({
          events: [{ ...northwindDecision, timestamp: 'yesterday' }],
        });
      expect(invalid.status).toBe(400);
      expect(invalid.body.error.name).toBe('InputError');
      expect(invalid.body.error.message).toContain('events[0].timestamp');
      expect(invalid.body.error.stack).toBeUndefined();
      const notJson = await request(server)
        .post('/api/platform/events')
        .set(asService)
        .send({ events: [] });
      expect(notJson.status).toBe(400);
      expect(notJson.body.error.message).toContain('events');
      const asUser = await request(server)
        .post('/api/platform/events')
        .set(as(SRE))
        .send(batch);
      expect(asUser.status).toBe(403);

      // --- decisions explorer
      const all = await request(server)
        .get('/api/platform/decisions')
        .set(as(SRE));
      expect(all.status).toBe(200);
      expect(all.body.items.map((i: any) => i.tenant)).toEqual([
        'brightpath-edu',
        'northwind-retail',
      ]);
      const own = await request(server)
        .get('/api/platform/decisions')
        .set(as(NORTHWIND_DEV));
      expect(own.body.items.map((i: any) => i.tenant)).toEqual([
        'northwind-retail',
      ]);
      const foreign = await request(server)
        .get('/api/platform/decisions?tenant=brightpath-edu')
        .set(as(NORTHWIND_DEV));
      expect(foreign.status).toBe(403);
      expect(
        (await request(server).get('/api/platform/decisions').set(as(OUTSIDER)))
          .status,
      ).toBe(403);
      const badOutcome = await request(server)
        .get('/api/platform/decisions?outcome=exploded&fellBack=maybe')
        .set(as(SRE));
      expect(badOutcome.status).toBe(400);
      expect(badOutcome.body.error.message).toMatch(/outcome: expected one of/);
      expect(badOutcome.body.error.message).toMatch(/fellBack/);
      const filtered = await request(server)
        .get(
          '/api/platform/decisions?outcome=error&droppedFor=residency&limit=1',
        )
        .set(as(SRE));
      expect(filtered.body.items.map((i: any) => i.id)).toEqual([
        brightpathDecision.id,
      ]);

      const detail = await request(server)
        .get(`/api/platform/decisions/${northwindDecision.id}`)
        .set(as(NORTHWIND_DEV));
      expect(detail.status).toBe(200);
      expect(detail.body.decision).toEqual(northwindDecision);
      expect(detail.body.usage.costUsd).toBe(northwindUsage.costUsd);
      expect(
        (
          await request(server)
            .get(`/api/platform/decisions/${brightpathDecision.id}`)
            .set(as(NORTHWIND_DEV))
        ).status,
      ).toBe(403);
      expect(
        (
          await request(server)
            .get('/api/platform/decisions/no-such-decision')
            .set(as(SRE))
        ).status,
      ).toBe(404);

      // --- SLOs and traffic
      const cellSlos = await request(server)
        .get('/api/platform/slos?cell=eu-west-shared-1')
        .set(as(SRE));
      expect(cellSlos.status).toBe(200);
      expect(cellSlos.body.objectives).toHaveLength(1);
      expect(cellSlos.body.objectives[0]).toMatchObject({
        source: 'entity',
        totalEvents: 2,
        goodEvents: 1,
        alertState: 'page',
      });
      expect(cellSlos.body.objectives[0].budgetSeries.length).toBeGreaterThan(
        0,
      );
      // Where the budgets stand, without Prometheus' range queries (the deploy gate's read;
      // errorBudgetCheck.test.ts reads the difference from a real Prometheus).
      expect(
        (
          await request(server)
            .get('/api/platform/slos?cell=eu-west-shared-1&budgetSeries=false')
            .set(as(SRE))
        ).status,
      ).toBe(200);
      expect(
        (
          await request(server)
            .get('/api/platform/slos?cell=eu-west-shared-1&budgetSeries=no')
            .set(as(SRE))
        ).body.error.message,
      ).toMatch(/^Invalid query: budgetSeries: expected one of true \| false/);
      // The cell's other runtime services: without a Prometheus, a reason and no 500.
      expect(
        cellSlos.body.services.find(
          (s: any) => s.objective.name === 'tool-gateway-availability',
        ),
      ).toMatchObject({
        sliSource: 'prometheus',
        sliUnavailable: {
          reason: 'not-configured',
          message: 'Prometheus not configured: set platform.prometheus.baseUrl',
        },
      });
      const tenantSlos = await request(server)
        .get('/api/platform/slos?tenant=northwind-retail')
        .set(as(NORTHWIND_DEV));
      expect(tenantSlos.body.objectives.map((o: any) => o.source)).toEqual([
        'default',
        'default',
        'default',
      ]);
      expect(tenantSlos.body.objectives[0].sli).toBe(1);
      // Another tenant's agent, asked for by name, is another tenant's data.
      expect(
        (
          await request(server)
            .get('/api/platform/slos?agent=homework-helper')
            .set(as(NORTHWIND_DEV))
        ).status,
      ).toBe(403);
      const ownCell = await request(server)
        .get('/api/platform/slos?cell=eu-west-shared-1')
        .set(as(NORTHWIND_DEV));
      expect(ownCell.body.objectives[0].totalEvents).toBe(1);
      expect(
        (await request(server).get('/api/platform/slos').set(as(SRE))).body
          .error.message,
      ).toMatch(/exactly one of cell, tenant or agent/);
      expect(
        (
          await request(server)
            .get('/api/platform/slos?cell=nowhere')
            .set(as(SRE))
        ).status,
      ).toBe(404);
      const traffic = await request(server)
        .get('/api/platform/traffic?cell=eu-west-shared-1')
        .set(as(SRE));
      expect(traffic.body.requests).toBe(2);
      expect(traffic.body.latency.overhead.p95).toBeGreaterThan(0);
      const lastHour = {
        from: new Date(Date.now() - 3600_000).toISOString(),
        to: new Date(Date.now() + 60_000).toISOString(),
      };
      const series = await request(server)
        .get('/api/platform/traffic')
        .query({ ...lastHour, cell: 'eu-west-shared-1', buckets: 4 })
        .set(as(SRE));
      expect(series.status).toBe(200);
      expect(series.body.requests).toBe(2);
      expect(series.body.buckets).toHaveLength(4);
      expect(series.body.buckets[0].from).toBe(series.body.from);
      expect(series.body.buckets[3].to).toBe(series.body.to);
      // Nothing lost or counted twice between the parts.
      expect(
        series.body.buckets.reduce((n: number, b: any) => n + b.requests, 0),
      ).toBe(2);
      const tooMany = await request(server)
        .get('/api/platform/traffic?buckets=1000')
        .set(as(SRE));
      expect(tooMany.status).toBe(400);
      expect(tooMany.body.error.message).toMatch(/buckets/);
      const badRange = await request(server)
        .get(
          '/api/platform/traffic?from=2026-11-20T00:00:00Z&to=2026-11-19T00:00:00Z',
        )
        .set(as(SRE));
      expect(badRange.status).toBe(400);
      expect(badRange.body.error.message).toMatch(/from: must be before to/);

      // --- cost
      const breakdown = await request(server)
        .get('/api/platform/cost/breakdown?groupBy=agent')
        .set(as(SRE));
      expect(breakdown.status).toBe(200);
      expect(breakdown.body.groups.map((g: any) => g.key).sort()).toEqual([
        'checkout-assistant',
        'homework-helper',
      ]);
      const ownCost = await request(server)
        .get('/api/platform/cost/breakdown')
        .set(as(NORTHWIND_DEV));
      expect(ownCost.body.groups.map((g: any) => g.key)).toEqual([
        'northwind-retail',
      ]);
      const budget = await request(server)
        .get('/api/platform/cost/budget?tenant=northwind-retail')
        .set(as(NORTHWIND_DEV));
      expect(budget.body.budgetUsd).toBe(3000);
      expect(
        (
          await request(server)
            .get('/api/platform/cost/budget?tenant=brightpath-edu')
            .set(as(NORTHWIND_DEV))
        ).status,
      ).toBe(403);
      expect(
        (await request(server).get('/api/platform/cost/budget').set(as(SRE)))
          .body.error.message,
      ).toMatch(/tenant/);
      const movers = await request(server)
        .get('/api/platform/cost/movers?period=day')
        .set(as(SRE));
      expect(movers.body.movers.length).toBeGreaterThan(0);
      // The Llama's manifests were applied two hours ago, recorded where the deploy driver kept
      // its log before it became a plugin of its own (this backend has no driver; its answers
      // are read over HTTP in plugins/platform-deploy-backend's router test): GPU time counts
      // from then.
      await knex('platform_deploy_audit').insert({
        at: Date.now() - 2 * 3_600_000,
        actor: SRE,
        entity_ref: 'inferencedeployment:default/llama-3-1-70b-eu',
        cluster: 'eks-eu-west-1-shared',
        result: 'applied',
        error_budgets: '[]',
        counts: JSON.stringify({ applied: 1, changed: 1 }),
        objects: '[]',
      });
      const gpu = await request(server)
        .get('/api/platform/cost/gpu')
        .set(as(SRE));
      expect(gpu.body.deployments[0].gpuHoursSource).toBe('applied');
      expect(gpu.body.deployments[0].deployment).toBe('llama-3-1-70b-eu');
      expect(gpu.body.deployments[0].tenants.map((t: any) => t.tenant)).toEqual(
        ['brightpath-edu'],
      );
      const ownGpu = await request(server)
        .get('/api/platform/cost/gpu')
        .set(as(NORTHWIND_DEV));
      // Northwind used none of the Llama: none of its GPU spend is Northwind's to see.
      expect(ownGpu.body).toMatchObject({
        totalUsd: 0,
        deployments: [],
        byCell: [],
        byTenant: [],
      });

      // --- runtime (reconciler against a real control API server)
      const unseen = await request(server)
        .get('/api/platform/cells/eu-west-shared-1/runtime')
        .set(as(SRE));
      expect(unseen.status).toBe(200);
      expect(unseen.body).toEqual({
        cell: 'eu-west-shared-1',
        seen: false,
        // Named in platform.reconciler.gateways; nothing pushed to it yet.
        gateway: { source: 'config', state: 'running' },
        inSync: false,
        drift: false,
        consecutiveFailures: 0,
      });
      const noSuchCell = await request(server)
        .get('/api/platform/cells/nowhere/runtime')
        .set(as(SRE));
      expect(noSuchCell.status).toBe(404);
      expect(noSuchCell.body.error.message).toMatch(/No cell named "nowhere"/);

      // --- the Cells overview in one request
      const now = new Date();
      const monthStart = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1);
      const costThisMonth = (usages: Array<typeof northwindUsage>) =>
        usages
          .filter(u => Date.parse(u.timestamp) >= monthStart)
          .reduce((sum, u) => sum + u.costUsd, 0);
      const summary = await request(server)
        .get('/api/platform/cells/summary')
        .set(as(SRE));
      expect(summary.status).toBe(200);
      expect(summary.body.cells.map((c: any) => c.cell)).toEqual([
        'eu-west-shared-1',
        'us-east-shared-1',
      ]);
      const [shared, empty] = summary.body.cells;
      expect(shared).toMatchObject({
        alertState: 'page',
        runtime: { seen: false },
        errors: [],
      });
      expect(shared.errorBudgetRemaining).toBeLessThan(0);
      // Tokens and GPUs: the Llama's hours since its apply, brightpath's share included.
      expect(shared.monthToDateGpuUsd).toBeGreaterThan(0);
      // To the nano-dollar, the precision of cost figures (services/cost/usd.ts).
      expect(shared.monthToDateUsd).toBeCloseTo(
        costThisMonth([northwindUsage, brightpathUsage]) +
          shared.monthToDateGpuUsd,
        9,
      );
      expect(empty).toMatchObject({
        alertState: 'ok',
        // No traffic in its window: nothing is known, which is not "ok".
        sloState: 'no data',
        monthToDateUsd: 0,
      });
      expect(shared.sloState).toBe('exhausted');
      expect(empty.errorBudgetRemaining).toBeUndefined();
      const ownSummary = await request(server)
        .get('/api/platform/cells/summary')
        .set(as(NORTHWIND_DEV));
      expect(ownSummary.status).toBe(200);
      const [ownShared] = ownSummary.body.cells;
      // Northwind never used the Llama: no GPU share, and not the idle hours of a shared cell.
      expect(ownShared.monthToDateGpuUsd).toBe(0);
      expect(ownShared.monthToDateUsd).toBeCloseTo(
        costThisMonth([northwindUsage]),
        9,
      );
      expect(ownShared.alertState).toBe('ok');
      expect(ownShared.runtime).toBeUndefined();
      expect(ownShared.errors).toEqual([
        'runtime: not allowed: platform.runtime.read',
      ]);
      expect(
        (
          await request(server)
            .get('/api/platform/cells/summary')
            .set(as(OUTSIDER))
        ).status,
      ).toBe(403);
      expect(
        (
          await request(server)
            .post('/api/platform/cells/eu-west-shared-1/runtime/reconcile')
            .set(as(NORTHWIND_DEV))
        ).status,
      ).toBe(403);
      const reconciled = await request(server)
        .post('/api/platform/cells/eu-west-shared-1/runtime/reconcile')
        .set(as(SRE));
      expect(reconciled.status).toBe(200);
      expect(reconciled.body).toMatchObject({
        inSync: true,
        consecutiveFailures: 0,
      });
      const runtime = await request(server)
        .get('/api/platform/cells/eu-west-shared-1/runtime')
        .set(as(SRE));
      expect(runtime.body.seen).toBe(true);
      expect(runtime.body.pushedVersion).toBe(gateway.state?.version);

      // --- demo backfill, idempotent
      const backfill = await request(server)
        .post('/api/platform/demo/backfill?days=1')
        .set(as(SRE));
      expect(backfill.status).toBe(200);
      expect(backfill.body.stored).toBeGreaterThan(0);
      const again = await request(server)
        .post('/api/platform/demo/backfill?days=1')
        .set(as(SRE));
      expect(again.body.stored).toBe(0);
      expect(
        (
          await request(server)
            .post('/api/platform/demo/backfill?days=900')
            .set(as(SRE))
        ).status,
      ).toBe(400);
    },
  );
});
