import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { notificationService } from '@backstage/plugin-notifications-node';
import {
  CellGatewayLocator,
  PlatformCatalog,
  platformDeployReaderServiceRef,
  platformGatewayLocatorExtensionPoint,
  platformHistoryExtensionPoint,
  PlatformHistorySource,
  systemClock,
} from '@cellport/plugin-platform-node';
import { readPlatformSettings } from './config/platformSettings';
import { openDatabase } from './database/openDatabase';
import { schedulePlatformTasks } from './platformTasks';
import { createRouter } from './router';
import { registerTenantPermissions } from './services/access/registerTenantPermissions';
import { AlertService } from './services/alerts/AlertService';
import { AlertStore } from './services/alerts/AlertStore';
import {
  ALERT_WEBHOOK_ROUTE,
  alertWebhookAuth,
} from './services/alerts/alertWebhookAuth';
import { CellStatusService } from './services/cells/CellStatusService';
import { CostEngine } from './services/cost/CostEngine';
import { gpuPricesFromConfig } from './services/cost/gpuPrices';
import { GpuReplicaSampler } from './services/cost/GpuReplicaSampler';
import { GpuReplicaSampleStore } from './services/cost/GpuReplicaSampleStore';
import { GpuSpendLedger } from './services/cost/GpuSpendLedger';
import { firstApplies } from './services/cost/firstApplies';
import { DecisionStore } from './services/decisions/DecisionStore';
import { HistoryConnection } from './services/history/HistoryConnection';
import { EventSenders } from './services/ingest/EventSenders';
import { IngestService } from './services/ingest/IngestService';
import { NatsIngestConsumer } from './services/ingest/NatsIngestConsumer';
import { ApiKeyRevealStore } from './services/keys/ApiKeyRevealStore';
import { ApiKeyService } from './services/keys/ApiKeyService';
import { ApiKeyStore } from './services/keys/ApiKeyStore';
import { AlertNotifier } from './services/notifications/AlertNotifier';
import { BudgetAnnouncements } from './services/notifications/BudgetAnnouncements';
import { BudgetNotifier } from './services/notifications/BudgetNotifier';
import { ReconcilerService } from './services/reconciler/ReconcilerService';
import { RecommendationService } from './services/recommendations/RecommendationService';
import { ReplayAccess } from './services/replay/ReplayAccess';
import { ReplayJobs } from './services/replay/ReplayJobs';
import { ReplayService } from './services/replay/ReplayService';
import { RetentionPurge } from './services/retention/RetentionPurge';
import { RollupStore } from './services/rollups/RollupStore';
import { SloEngine } from './services/slo/SloEngine';
import { SloService } from './services/slo/SloService';
import { TrafficReport } from './services/traffic/TrafficReport';

/**
 * Cellport's platform backend: event ingest (HTTP and NATS JetStream), rollups, the SLO and
 * cost engines, the routing-decision explorer and its replay, the catalog → gateway
 * reconciler, alerts and notifications. The deploy driver (catalog → Kubernetes) is a plugin
 * of its own, read here for GPU cost through platformDeployReaderServiceRef. This file only
 * wires: each service reads its part of `platform.*` in its `fromConfig`.
 *
 * @public
 */
export const platformPlugin = createBackendPlugin({
  pluginId: 'platform',
  register(env) {
    let gatewayLocator: CellGatewayLocator | undefined;
    env.registerExtensionPoint(platformGatewayLocatorExtensionPoint, {
      setGatewayLocator(locator) {
        if (gatewayLocator) {
          throw new Error('A gateway locator has already been set');
        }
        gatewayLocator = locator;
      },
    });
    const historySources: PlatformHistorySource[] = [];
    env.registerExtensionPoint(platformHistoryExtensionPoint, {
      addHistorySource(source) {
        historySources.push(source);
      },
    });
    env.registerInit({
      deps: {
        logger: coreServices.logger,
        config: coreServices.rootConfig,
        database: coreServices.database,
        httpRouter: coreServices.httpRouter,
        httpAuth: coreServices.httpAuth,
        auth: coreServices.auth,
        permissions: coreServices.permissions,
        permissionsRegistry: coreServices.permissionsRegistry,
        scheduler: coreServices.scheduler,
        lifecycle: coreServices.lifecycle,
        catalog: catalogServiceRef,
        notifications: notificationService,
        deployReader: platformDeployReaderServiceRef,
      },
      async init(deps) {
        const { logger, config, lifecycle } = deps;
        const settings = readPlatformSettings(config);
        const db = await openDatabase(deps.database);
        const clock = systemClock;
        const catalog = new PlatformCatalog(
          deps.catalog,
          deps.auth,
          logger,
          clock,
        );
        const access = registerTenantPermissions(
          deps.permissionsRegistry,
          deps.permissions,
          catalog,
        );

        // Runtime events in, rollups and history out.
        const ingest = new IngestService(db, {
          clock,
          rawDays: settings.retention.rawDays,
        });
        const nats = NatsIngestConsumer.fromConfig(config, ingest, logger);
        if (nats) {
          lifecycle.addStartupHook(() => nats.start());
          lifecycle.addShutdownHook(() => nats.stop());
        }
        const rollups = RollupStore.fromConfig(config, db, clock);
        const gpuSamples = GpuReplicaSampleStore.fromConfig(config, db);
        const history = new HistoryConnection({
          db,
          catalog,
          ingest,
          gpuSamples,
        });
        for (const source of historySources) await source.connect(history);

        // The catalog pushed to the gateways, and the keys it holds.
        const apiKeyStore = new ApiKeyStore(db, clock);
        const apiKeyReveals = ApiKeyRevealStore.fromConfig(config, db, clock);
        const reconciler = ReconcilerService.fromConfig(config, {
          db,
          catalog,
          apiKeys: apiKeyStore,
          clock,
          logger,
          locator: gatewayLocator,
        });

        // SLOs, and what GPUs and tokens cost.
        const slo = SloService.fromConfig(
          config,
          catalog,
          new SloEngine(rollups, clock),
          clock,
        );
        const gpuSpend = new GpuSpendLedger({
          catalog,
          rollups,
          samples: gpuSamples,
          firstApplied: firstApplies({
            db,
            deploy: deps.deployReader,
            logger,
          }),
          gpuHourlyUsd: gpuPricesFromConfig(config),
        });
        const cost = new CostEngine(rollups, catalog, clock, gpuSpend);

        await schedulePlatformTasks(deps.scheduler, settings, {
          reconciler,
          purge: RetentionPurge.fromConfig(config, db, clock),
          apiKeyReveals,
          apiKeys: apiKeyStore,
          gpuSampler: new GpuReplicaSampler({
            catalog,
            deploy: deps.deployReader,
            samples: gpuSamples,
            clock,
            logger,
          }),
          budgets: new BudgetNotifier({
            cost,
            catalog,
            announcements: new BudgetAnnouncements(db),
            notifications: deps.notifications,
            clock,
            logger,
          }),
          logger,
        });

        const replay = new ReplayService(db, catalog, {
          maxDecisions: settings.replay.maxDecisions,
        });
        const replayJobs = new ReplayJobs(
          db,
          (request, run) => replay.replay(request, run),
          clock,
          { maxRunning: settings.replay.maxRunning },
        );
        lifecycle.addShutdownHook(() => replayJobs.close());
        const recommendationReplay = new ReplayService(db, catalog, {
          maxDecisions: settings.recommendations.maxDecisionsPerReplay,
        });

        // Alertmanager sends a static bearer token, which alertWebhookAuth checks itself.
        deps.httpRouter.addAuthPolicy({
          path: ALERT_WEBHOOK_ROUTE,
          allow: 'unauthenticated',
        });
        deps.httpRouter.use(
          alertWebhookAuth({
            webhookToken: settings.alerts.webhookToken,
            httpAuth: deps.httpAuth,
          }),
        );
        deps.httpRouter.use(
          await createRouter({
            logger,
            httpAuth: deps.httpAuth,
            permissions: deps.permissions,
            clock,
            access,
            ingest,
            eventSenders: EventSenders.fromConfig(config),
            decisions: new DecisionStore(db),
            traffic: new TrafficReport(rollups),
            slo,
            cost,
            reconciler,
            cells: new CellStatusService({
              catalog,
              slo,
              rollups,
              gpu: gpuSpend,
              reconciler,
              clock,
            }),
            alerts: new AlertService(
              new AlertStore(db, clock),
              catalog,
              new AlertNotifier(deps.notifications, logger, {
                fallbackOwner: settings.alerts.fallbackOwner,
              }),
              logger,
            ),
            apiKeyReveals,
            apiKeys: ApiKeyService.fromConfig(config, {
              catalog,
              store: apiKeyStore,
              reveals: apiKeyReveals,
              reconciler,
              clock,
            }),
            replays: {
              service: replay,
              jobs: replayJobs,
              access: new ReplayAccess(db, catalog),
            },
            recommendations: new RecommendationService(
              catalog,
              (request, run) => recommendationReplay.replay(request, run),
              clock,
              settings.recommendations,
            ),
          }),
        );
      },
    });
  },
});
