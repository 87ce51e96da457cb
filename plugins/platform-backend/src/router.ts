import {
  BackstageCredentials,
  HttpAuthService,
  LoggerService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { NotAllowedError, NotFoundError } from '@backstage/errors';
import {
  AuthorizeResult,
  BasicPermission,
} from '@backstage/plugin-permission-common';
import express from 'express';
import Router from 'express-promise-router';
import {
  platformCostReadPermission,
  platformDecisionsReadPermission,
  platformRuntimeManagePermission,
  platformRuntimeReadPermission,
  platformSloReadPermission,
} from '@cellport/plugin-platform-common';
import { TenantAccess } from './services/access/TenantAccess';
import { Clock } from './services/clock';
import { CostEngine } from './services/cost/CostEngine';
import { DecisionStore } from './services/decisions/DecisionStore';
import { DemoBackfill } from './services/demo/DemoBackfill';
import { IngestService } from './services/ingest/IngestService';
import { parseEventBatch } from './services/ingest/parseEventBatch';
import { ReconcilerService } from './services/reconciler/ReconcilerService';
import { HISTOGRAM_METRICS, percentile } from './services/rollups/histogram';
import { RollupStore } from './services/rollups/RollupStore';
import { DAY_MS } from './services/rollups/timeRanges';
import { SloScope, SloService } from './services/slo/SloService';
import {
  backfillQuery,
  budgetQuery,
  costBreakdownQuery,
  costMoversQuery,
  decisionQuery,
  idParam,
  parseInput,
  refParam,
  scopeQuery,
  sloQuery,
  timeRangeQuery,
} from './validation';

export interface RouterOptions {
  logger: LoggerService;
  httpAuth: HttpAuthService;
  permissions: PermissionsService;
  clock: Clock;
  access: TenantAccess;
  ingest: IngestService;
  decisions: DecisionStore;
  rollups: RollupStore;
  slo: SloService;
  cost: CostEngine;
  reconciler: ReconcilerService;
  /** Present only when `platform.demo.enabled` is true. */
  demo?: DemoBackfill;
}

/** Gateways post batches of up to 5000 events; a full one is a few megabytes of JSON. */
const BODY_LIMIT = '25mb';

export async function createRouter(
  options: RouterOptions,
): Promise<express.Router> {
  const { httpAuth, permissions, clock, access } = options;
  const router = Router();
  router.use(express.json({ limit: BODY_LIMIT }));

  async function authorize(
    permission: BasicPermission,
    credentials: BackstageCredentials,
  ) {
    const [decision] = await permissions.authorize([{ permission }], {
      credentials,
    });
    if (decision.result !== AuthorizeResult.ALLOW) {
      throw new NotAllowedError(`Not allowed: ${permission.name}`);
    }
  }

  // Ingest: gateways only, with a Backstage external access token (a service principal).
  router.post('/events', async (req, res) => {
    await httpAuth.credentials(req, { allow: ['service'] });
    const events = parseEventBatch(req.body);
    const result = await options.ingest.ingest(events);
    res.status(200).json({ received: events.length, ...result });
  });

  router.get('/decisions', async (req, res) => {
    const credentials = await httpAuth.credentials(req);
    const range = parseInput(
      timeRangeQuery(clock.now(), DAY_MS),
      req.query,
      'query',
    );
    const query = parseInput(decisionQuery, req.query, 'query');
    const scope = await access.scope(
      platformDecisionsReadPermission,
      credentials,
    );
    const page = await options.decisions.list(
      {
        ...range,
        ...query,
        tenants: TenantAccess.restrict(scope, query.tenant),
      },
      { limit: query.limit, cursor: query.cursor },
    );
    res.json(page);
  });

  router.get('/decisions/:id', async (req, res) => {
    const credentials = await httpAuth.credentials(req);
    const { id } = parseInput(idParam, req.params, 'path');
    const scope = await access.scope(
      platformDecisionsReadPermission,
      credentials,
    );
    const tenant = await options.decisions.tenantOf(id);
    if (tenant === undefined)
      throw new NotFoundError(`No routing decision "${id}"`);
    TenantAccess.restrict(scope, tenant);
    res.json(await options.decisions.get(id));
  });

  router.get('/slos', async (req, res) => {
    const credentials = await httpAuth.credentials(req);
    const query = parseInput(sloQuery, req.query, 'query');
    const scope = await access.scope(platformSloReadPermission, credentials);
    const tenants = TenantAccess.restrict(scope, query.tenant);
    res.json(await options.slo.report(sloScopeOf(query), { tenants }));
  });

  router.get('/traffic', async (req, res) => {
    const credentials = await httpAuth.credentials(req);
    const range = parseInput(
      timeRangeQuery(clock.now(), DAY_MS),
      req.query,
      'query',
    );
    const query = parseInput(scopeQuery, req.query, 'query');
    const scope = await access.scope(platformSloReadPermission, credentials);
    const summary = await options.rollups.summarize(range, {
      ...query,
      tenants: TenantAccess.restrict(scope, query.tenant),
    });
    const latency = Object.fromEntries(
      HISTOGRAM_METRICS.map(metric => [
        metric,
        {
          p50: percentile(summary.histograms[metric], 0.5),
          p95: percentile(summary.histograms[metric], 0.95),
          p99: percentile(summary.histograms[metric], 0.99),
        },
      ]),
    );
    res.json({
      from: new Date(range.from).toISOString(),
      to: new Date(range.to).toISOString(),
      ...summary,
      latency,
    });
  });

  router.get('/cost/breakdown', async (req, res) => {
    const credentials = await httpAuth.credentials(req);
    const range = parseInput(
      timeRangeQuery(clock.now(), 7 * DAY_MS),
      req.query,
      'query',
    );
    const query = parseInput(costBreakdownQuery, req.query, 'query');
    const scope = await access.scope(platformCostReadPermission, credentials);
    const { groupBy, granularity, ...filter } = query;
    res.json(
      await options.cost.breakdown(range, groupBy, granularity, {
        ...filter,
        tenants: TenantAccess.restrict(scope, query.tenant),
      }),
    );
  });

  router.get('/cost/budget', async (req, res) => {
    const credentials = await httpAuth.credentials(req);
    const { tenant } = parseInput(budgetQuery, req.query, 'query');
    const scope = await access.scope(platformCostReadPermission, credentials);
    TenantAccess.restrict(scope, tenant);
    res.json(await options.cost.tenantBudget(tenant));
  });

  router.get('/cost/movers', async (req, res) => {
    const credentials = await httpAuth.credentials(req);
    const query = parseInput(costMoversQuery, req.query, 'query');
    const scope = await access.scope(platformCostReadPermission, credentials);
    const { groupBy, period, limit, ...filter } = query;
    res.json(
      await options.cost.movers(
        period,
        groupBy,
        {
          ...filter,
          tenants: TenantAccess.restrict(scope, query.tenant),
        },
        limit,
      ),
    );
  });

  router.get('/cost/gpu', async (req, res) => {
    const credentials = await httpAuth.credentials(req);
    const range = parseInput(
      timeRangeQuery(clock.now(), 7 * DAY_MS),
      req.query,
      'query',
    );
    const { cell } = parseInput(scopeQuery, req.query, 'query');
    const scope = await access.scope(platformCostReadPermission, credentials);
    res.json(
      await options.cost.gpuCost(range, {
        cell,
        tenants: TenantAccess.restrict(scope),
      }),
    );
  });

  router.get('/cells/:ref/runtime', async (req, res) => {
    const credentials = await httpAuth.credentials(req);
    const { ref } = parseInput(refParam, req.params, 'path');
    await authorize(platformRuntimeReadPermission, credentials);
    const runtime = await options.reconciler.runtime(ref);
    if (!runtime)
      throw new NotFoundError(
        `The reconciler has not seen a cell "${ref}" yet`,
      );
    res.json(runtime);
  });

  router.post('/cells/:ref/runtime/reconcile', async (req, res) => {
    const credentials = await httpAuth.credentials(req);
    const { ref } = parseInput(refParam, req.params, 'path');
    await authorize(platformRuntimeManagePermission, credentials);
    res.json(await options.reconciler.reconcileCell(ref));
  });

  router.post('/demo/backfill', async (req, res) => {
    const credentials = await httpAuth.credentials(req);
    const { days } = parseInput(backfillQuery, req.query, 'query');
    if (!options.demo) {
      throw new NotFoundError('Demo data is off (platform.demo.enabled)');
    }
    await authorize(platformRuntimeManagePermission, credentials);
    res.json(await options.demo.backfill(days));
  });

  return router;
}

/** The one scope an SLO query names (validation ensured there is exactly one). */
function sloScopeOf(query: {
  cell?: string;
  tenant?: string;
  agent?: string;
}): SloScope {
  if (query.cell) return { kind: 'cell', name: query.cell };
  if (query.tenant) return { kind: 'tenant', name: query.tenant };
  return { kind: 'agent', name: query.agent! };
}
