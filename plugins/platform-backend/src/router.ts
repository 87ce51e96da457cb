import {
  BackstageCredentials,
  HttpAuthService,
  LoggerService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { InputError, NotAllowedError, NotFoundError } from '@backstage/errors';
import {
  AuthorizeResult,
  BasicPermission,
} from '@backstage/plugin-permission-common';
import express from 'express';
import {
  platformApiKeyRotatePermission,
  platformCostReadPermission,
  platformDecisionsReadPermission,
  platformRuntimeManagePermission,
  platformRuntimeReadPermission,
  platformSloReadPermission,
} from '@cellport/plugin-platform-common';
import { TenantAccess } from './services/access/TenantAccess';
import { alertListQuery } from './services/alerts/alertRequests';
import { AlertService } from './services/alerts/AlertService';
import { isAlertWebhookPath } from './services/alerts/alertWebhookAuth';
import { CellStatusService } from './services/cells/CellStatusService';
import { CostEngine } from './services/cost/CostEngine';
import { DecisionStore } from './services/decisions/DecisionStore';
import { EventSenders } from './services/ingest/EventSenders';
import { IngestService } from './services/ingest/IngestService';
import { requireJsonBody, requireJsonBodyWhere } from './requireJsonBody';
import { ApiKeyRevealStore } from './services/keys/ApiKeyRevealStore';
import { ApiKeyService } from './services/keys/ApiKeyService';
import {
  listApiKeysQuery,
  revealTokenParam,
  rotateApiKeyBody,
  sealApiKeyBody,
} from './services/keys/apiKeyRequests';
import {
  parseEventBatch,
  unstorableRejections,
} from './services/ingest/parseEventBatch';
import {
  Clock,
  failureAnswers,
  openApiInputErrors,
  requirePermission,
} from '@cellport/plugin-platform-node';
import { createOpenApiRouter } from './schema/openapi/generated/router';
import { ReconcilerService } from './services/reconciler/ReconcilerService';
import { ReplayAccess } from './services/replay/ReplayAccess';
import { ReplayJobs, ReplayJobView } from './services/replay/ReplayJobs';
import { ReplayService } from './services/replay/ReplayService';
import { replayRequestBody } from './services/replay/replayRequests';
import { RecommendationService } from './services/recommendations/RecommendationService';
import { recommendationQuery } from './services/recommendations/recommendationRequests';
import { DAY_MS } from './services/rollups/timeRanges';
import { SloScope, SloService } from './services/slo/SloService';
import { TrafficReport } from './services/traffic/TrafficReport';
import {
  budgetQuery,
  costBreakdownQuery,
  costMoversQuery,
  decisionQuery,
  idParam,
  parseInput,
  refParam,
  refuseNulCharacters,
  checkAlertTimes,
  scopeQuery,
  sloQuery,
  timeRangeQuery,
  trafficQuery,
} from './validation';

export interface RouterOptions {
  logger: LoggerService;
  httpAuth: HttpAuthService;
  permissions: PermissionsService;
  clock: Clock;
  access: TenantAccess;
  ingest: IngestService;
  eventSenders: EventSenders;
  decisions: DecisionStore;
  traffic: TrafficReport;
  slo: SloService;
  cost: CostEngine;
  reconciler: ReconcilerService;
  cells: CellStatusService;
  alerts: AlertService;
  apiKeyReveals: ApiKeyRevealStore;
  apiKeys: ApiKeyService;
  replays: { service: ReplayService; jobs: ReplayJobs; access: ReplayAccess };
  recommendations: RecommendationService;
}

/**
 * Gateways post their events in bodies of at most 4 MiB (HttpBatchTransport) and halve one
 * answered 413; the headroom lets an older gateway's whole-segment batches (thousands of
 * events) and a single event of an unusually long candidate list through.
 */
const BODY_LIMIT = '25mb';

/**
 * express.json with a body over the limit answered 413 with the API's error shape: the
 * validator's error transformer would make its error a 400, which a gateway takes as a batch
 * refused for good, where a smaller one would be taken.
 */
function parseJsonBodies(): express.RequestHandler {
  const parse = express.json({ limit: BODY_LIMIT });
  return (req, res, next) =>
    parse(req, res, error => {
      const failure = error as { type?: string; body?: unknown } | undefined;
      const raw = typeof failure?.body === 'string' ? failure.body.trim() : '';
      if (
        failure?.type === 'entity.parse.failed' &&
        /^(null|true|false|-?\d|")/.test(raw)
      ) {
        // Valid JSON, but not an object: the parser's own message reads as a syntax error.
        next(
          new InputError(
            `body: must be a JSON object, not ${raw.slice(0, 20)}`,
          ),
        );
        return;
      }
      if (failure?.type !== 'entity.too.large') {
        next(error);
        return;
      }
      // Known when the body has a content-length, else the parser stopped reading at the limit.
      const length = (error as { length?: number }).length;
      res.status(413).json({
        error: {
          name: 'PayloadTooLargeError',
          message: `request body${
            length === undefined ? '' : ` of ${length} bytes`
          } is over the limit of ${BODY_LIMIT}; send it in smaller parts`,
        },
        request: { method: req.method, url: req.originalUrl },
        response: { statusCode: 413 },
      });
    });
}

/** Rejected events an ingest answer names; the count covers them all. */
const MAX_REJECTIONS_ANSWERED = 20;

export async function createRouter(
  options: RouterOptions,
): Promise<express.Router> {
  const { httpAuth, permissions, clock, access } = options;
  const refuseNul = refuseNulCharacters();
  // Requests are checked against openapi.yaml before a handler runs, answers after it; the
  // handlers' types are generated from the same document (node scripts/openapi-generate.js).
  const router = await createOpenApiRouter({
    // Ingest checks its own bodies (the event contract refuses what cannot be stored).
    middleware: [
      // A 415 as ingest answers, not the validator's 400 that reads as a wrong payload.
      requireJsonBodyWhere(
        req => req.method === 'POST' && isAlertWebhookPath(req.path),
      ),
      parseJsonBodies(),
      (req, res, next) =>
        req.path.endsWith('/events') && req.method === 'POST'
          ? next()
          : refuseNul(req, res, next),
    ],
    validatorOptions: {
      // Every problem in one answer, as the handlers' own checks report them.
      validateRequests: {
        allErrors: true,
        coerceTypes: false,
        allowUnknownQueryParameters: false,
      },
      validateResponses: true,
      // Who may call is httpAuth's and the permission framework's answer (401 and 403).
      validateSecurity: false,
      // A batch of 5000 events checked against the document's oneOf per event would cost
      // more than storing it: ingest keeps its own single-pass validation (parseEventBatch,
      // the gateway contract's zod schema) whose messages name the event and field.
      // The validator passes the mounted path (`/api/platform//events`): ingest is the one
      // route that ends so.
      ignorePaths: (path: string) => path.endsWith('/events'),
    },
  });

  const authorize = (
    permission: BasicPermission,
    credentials: BackstageCredentials,
  ) => requirePermission(permissions, permission, credentials);

  // Ingest: gateways only, with a Backstage external access token, for their own cells.
  router.post('/events', async (req, res) => {
    // Who sends is asked first: an unauthenticated caller hears 401, not how to send.
    const sender = await httpAuth.credentials(req, { allow: ['service'] });
    requireJsonBody(req);
    const { events, rejections } = parseEventBatch(
      req.body,
      options.ingest.notBeforeMs(),
      options.eventSenders.checkFor(sender),
    );
    const received = events.length + rejections.length;
    // A database that cannot take the batch now is a 503 (failureAnswers): ids make a
    // retry idempotent, halves already stored included.
    const { unstorable, ...result } = await options.ingest.ingestIsolating(
      events,
    );
    rejections.push(...unstorableRejections(req.body, unstorable));
    rejections.sort((a, b) => a.index - b.index);
    if (rejections.length > 0) {
      options.logger.warn(
        `Ingest rejected ${rejections.length} events of a batch: ${rejections
          .slice(0, 5)
          .map(r => r.message)
          .join('; ')}`,
      );
    }
    res.status(200).json({
      received,
      ...result,
      rejected: rejections.length,
      ...(rejections.length > 0
        ? { rejections: rejections.slice(0, MAX_REJECTIONS_ANSWERED) }
        : {}),
    });
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
    res.json(
      await options.slo.report(
        sloScopeOf(query),
        { tenants },
        { services: true, budgetSeries: query.budgetSeries ?? true },
      ),
    );
  });

  router.get('/traffic', async (req, res) => {
    const credentials = await httpAuth.credentials(req);
    const range = parseInput(
      timeRangeQuery(clock.now(), DAY_MS),
      req.query,
      'query',
    );
    const query = parseInput(scopeQuery, req.query, 'query');
    const { buckets } = parseInput(trafficQuery, req.query, 'query');
    const scope = await access.scope(platformSloReadPermission, credentials);
    const filter = {
      ...query,
      tenants: TenantAccess.restrict(scope, query.tenant),
    };
    res.json(await options.traffic.read(range, filter, buckets));
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

  // Each part needs its own permission; a part the caller may not read says so in every row.
  router.get('/cells/summary', async (req, res) => {
    const credentials = await httpAuth.credentials(req);
    const allowedTenants = (permission: typeof platformSloReadPermission) =>
      access
        .scope(permission, credentials)
        .then(scope => TenantAccess.restrict(scope), deniedAs(false as const));
    const [slo, cost, runtime] = await Promise.all([
      allowedTenants(platformSloReadPermission),
      allowedTenants(platformCostReadPermission),
      authorize(platformRuntimeReadPermission, credentials).then(
        () => true,
        deniedAs(false),
      ),
    ]);
    if (slo === false && cost === false && !runtime) {
      throw new NotAllowedError(
        'Not allowed: platform.slo.read, platform.cost.read or platform.runtime.read',
      );
    }
    res.json(await options.cells.summaries({ slo, cost, runtime }));
  });

  router.get('/cells/:ref/runtime', async (req, res) => {
    const credentials = await httpAuth.credentials(req);
    const { ref } = parseInput(refParam, req.params, 'path');
    await authorize(platformRuntimeReadPermission, credentials);
    res.json(await options.cells.runtime(ref));
  });

  router.post('/cells/:ref/runtime/reconcile', async (req, res) => {
    const credentials = await httpAuth.credentials(req);
    const { ref } = parseInput(refParam, req.params, 'path');
    await authorize(platformRuntimeManagePermission, credentials);
    res.json(await options.reconciler.reconcileCell(ref));
  });

  // Alertmanager's webhook: its token is checked before this router (alertWebhookAuth).
  router.post('/alerts/alertmanager', async (req, res) => {
    const { receiver, alerts } = req.body;
    checkAlertTimes(alerts);
    res.json(await options.alerts.receive(receiver, alerts));
  });

  router.get('/alerts', async (req, res) => {
    const credentials = await httpAuth.credentials(req);
    const { limit, cursor, ...query } = parseInput(
      alertListQuery,
      req.query,
      'query',
    );
    const scope = await access.scope(platformSloReadPermission, credentials);
    res.json(await options.alerts.list(query, { limit, cursor }, scope));
  });

  // API keys: the scaffolder seals a key it created; whoever ran the template reveals it once.
  router.post('/api-keys/reveals', async (req, res) => {
    const credentials = await httpAuth.credentials(req, { allow: ['service'] });
    if (!credentials.principal.subject.startsWith('plugin:')) {
      throw new NotAllowedError('Only backend plugins may seal API keys');
    }
    const body = parseInput(sealApiKeyBody, req.body, 'body');
    res.status(201).json(await options.apiKeys.issue(body));
  });

  router.post('/api-keys/reveals/:token', async (req, res) => {
    const credentials = await httpAuth.credentials(req, { allow: ['user'] });
    const { token } = parseInput(revealTokenParam, req.params, 'path');
    const [manage] = await permissions.authorize(
      [{ permission: platformRuntimeManagePermission }],
      { credentials },
    );
    const revealed = await options.apiKeyReveals.reveal(token, {
      userRef: credentials.principal.userEntityRef,
      mayManageRuntime: manage.result === AuthorizeResult.ALLOW,
    });
    // The key is gone from the store once revealed: where its gateway answers is a courtesy,
    // and a catalog that cannot say must not cost the caller the key.
    const gateway = await options.reconciler
      .tenantGateway(revealed.tenant)
      .catch(error => {
        options.logger.warn(
          `Could not find the gateway of ${revealed.tenant} for a revealed key: ${error}`,
        );
        return undefined;
      });
    res
      .set('cache-control', 'no-store')
      .json(gateway ? { ...revealed, gateway } : revealed);
  });

  // Prefixes and dates only: listed to whoever may read runtime state, like the catalog's
  // annotations they come from.
  router.get('/api-keys', async (req, res) => {
    const credentials = await httpAuth.credentials(req);
    const query = parseInput(listApiKeysQuery, req.query, 'query');
    await authorize(platformRuntimeReadPermission, credentials);
    const tenant =
      query.tenant ?? (await options.apiKeys.tenantOfAgent(query.agent!));
    const mayRotate =
      tenant !== undefined &&
      (await access
        .scope(platformApiKeyRotatePermission, credentials)
        .then(scope => {
          TenantAccess.restrict(scope, tenant);
          return true;
        })
        .catch(deniedAs(false)));
    res.json({ items: await options.apiKeys.list(query), mayRotate });
  });

  // A rotation reveals its new key once, to the user who rotated, through a reveal link.
  router.post('/api-keys/rotate', async (req, res) => {
    const credentials = await httpAuth.credentials(req, { allow: ['user'] });
    const body = parseInput(rotateApiKeyBody, req.body, 'body');
    const scope = await access.scope(
      platformApiKeyRotatePermission,
      credentials,
    );
    TenantAccess.restrict(scope, body.tenant);
    res.status(201).json(
      await options.apiKeys.rotate({
        ...body,
        userRef: credentials.principal.userEntityRef,
      }),
    );
  });

  // Replays are jobs: a replay of a month of a busy cell takes seconds, more than a request
  // should hold. Each read of a job checks the caller again, as reading its decisions would.
  router.post('/replays', async (req, res) => {
    const credentials = await httpAuth.credentials(req);
    const tenants = await access.scope(
      platformDecisionsReadPermission,
      credentials,
    );
    const { replays } = options;
    const body = parseInput(replayRequestBody, req.body, 'body');
    const scope = await replays.service.check(body);
    await replays.access.check(tenants, scope);
    res.status(202).json(await replays.jobs.start(body, scope));
  });

  // Recommendations replay a few agents' week or two: seconds, bounded in days and replays,
  // so they are answered in the request; a caller that goes away stops the work.
  router.get('/recommendations', async (req, res) => {
    const credentials = await httpAuth.credentials(req);
    const tenants = await access.scope(
      platformDecisionsReadPermission,
      credentials,
    );
    const query = parseInput(recommendationQuery, req.query, 'query');
    if (query.tenant !== undefined)
      TenantAccess.restrict(tenants, query.tenant);
    const plan = await options.recommendations.check(query);
    for (const scope of plan.scopes) {
      await options.replays.access.check(tenants, scope);
    }
    const gone = new AbortController();
    res.on('close', () => gone.abort(new Error('the client went away')));
    res.json(
      await options.recommendations.recommend(plan, { signal: gone.signal }),
    );
  });

  /** A replay job read or cancelled as the caller: its scope is checked before it is touched. */
  async function asReplayReader(
    req: express.Request<{ id: string }>,
    act: (id: string) => Promise<ReplayJobView>,
  ) {
    const { replays } = options;
    const tenants = await access.scope(
      platformDecisionsReadPermission,
      await httpAuth.credentials(req),
    );
    await replays.access.check(
      tenants,
      await replays.jobs.scopeOf(req.params.id),
    );
    return replays.access.redact(tenants, await act(req.params.id));
  }

  router.get('/replays/:id', async (req, res) => {
    res.json(await asReplayReader(req, id => options.replays.jobs.get(id)));
  });

  router.delete('/replays/:id', async (req, res) => {
    res.json(await asReplayReader(req, id => options.replays.jobs.cancel(id)));
  });

  router.use(openApiInputErrors());
  router.use(failureAnswers(options.logger));
  return router;
}

/** Turns a permission denial into `value`; any other failure stays a failure. */
function deniedAs<T>(value: T) {
  return (error: unknown): T => {
    if (error instanceof NotAllowedError) return value;
    throw error;
  };
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
