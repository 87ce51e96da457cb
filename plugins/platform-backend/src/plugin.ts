import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { createConditionTransformer } from '@backstage/plugin-permission-node';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { Config } from '@backstage/config';
import {
  formatValidationIssues,
  GatewayApiKey,
  gatewayApiKeySchema,
  toValidationIssues,
} from '@cellport/plugin-platform-common';
import { z } from 'zod';
import { applyDatabaseMigrations } from './database/migrations';
import { tuneSqlite } from './database/sqliteTuning';
import { platformPermissions } from '@cellport/plugin-platform-common';
import {
  CellGatewayLocator,
  platformGatewayLocatorExtensionPoint,
  platformTenantRules,
  tenantResourceRef,
} from '@cellport/plugin-platform-node';
import { createRouter } from './router';
import { AlertService } from './services/alerts/AlertService';
import { AlertStore } from './services/alerts/AlertStore';
import {
  ALERT_WEBHOOK_ROUTE,
  alertWebhookAuth,
} from './services/alerts/alertWebhookAuth';
import { TenantAccess } from './services/access/TenantAccess';
import { PlatformCatalog } from './services/catalog/PlatformCatalog';
import { systemClock } from './services/clock';
import { CellStatusService } from './services/cells/CellStatusService';
import { CostEngine } from './services/cost/CostEngine';
import { gpuPricesFromConfig } from './services/cost/gpuPrices';
import { GpuReplicaSampler } from './services/cost/GpuReplicaSampler';
import { GpuSpendLedger } from './services/cost/GpuSpendLedger';
import { DemoGpuHistory } from './services/demo/DemoGpuHistory';
import { GpuReplicaSampleStore } from './services/cost/GpuReplicaSampleStore';
import { DecisionStore } from './services/decisions/DecisionStore';
import { DemoBackfill } from './services/demo/DemoBackfill';
import { DeployAuditLog } from './services/deploy/DeployAuditLog';
import { DeployPlanner } from './services/deploy/DeployPlanner';
import { DeployService } from './services/deploy/DeployService';
import { DeployTargets } from './services/deploy/DeployTargets';
import { ErrorBudgetGate } from './services/deploy/ErrorBudgetGate';
import { KubernetesClusterConfig } from './services/deploy/KubernetesClusterConfig';
import { TrafficGenerator } from './services/demo/TrafficGenerator';
import { IngestService } from './services/ingest/IngestService';
import { NatsIngestConsumer } from './services/ingest/NatsIngestConsumer';
import { ApiKeyRevealStore } from './services/keys/ApiKeyRevealStore';
import { ApiKeyService } from './services/keys/ApiKeyService';
import { ApiKeyStore } from './services/keys/ApiKeyStore';
import { GatewayClient } from './services/reconciler/GatewayClient';
import {
  GatewayTarget,
  ReconcilerService,
} from './services/reconciler/ReconcilerService';
import { ReplayAccess } from './services/replay/ReplayAccess';
import { ReplayJobs } from './services/replay/ReplayJobs';
import { ReplayService } from './services/replay/ReplayService';
import { RetentionPurge } from './services/retention/RetentionPurge';
import { RollupStore } from './services/rollups/RollupStore';
import { SloEngine } from './services/slo/SloEngine';
import { SloService } from './services/slo/SloService';

/** `platform.reconciler.apiKeys`, validated: a bad entry stops the start, naming it. */
function readExtraApiKeys(config?: Config): GatewayApiKey[] {
  const raw = config?.getOptional('apiKeys') ?? [];
  const parsed = z.array(gatewayApiKeySchema).safeParse(raw);
  if (!parsed.success) {
    throw new Error(
      `platform.reconciler.apiKeys: ${formatValidationIssues(
        toValidationIssues(parsed.error),
      )}`,
    );
  }
  return parsed.data;
}

/**
 * Cellport's platform backend: event ingest (HTTP and NATS JetStream), rollups, the SLO and
 * cost engines, the routing-decision explorer, the catalog → gateway reconciler and the deploy
 * driver (catalog → Kubernetes).
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
      },
      async init(deps) {
        const { logger, config, database, scheduler, lifecycle } = deps;
        const db = await database.getClient();
        if (!database.migrations?.skip) {
          await applyDatabaseMigrations(db);
        }
        await tuneSqlite(db);
        const clock = systemClock;
        const settings = config.getOptionalConfig('platform');
        const num = (key: string, fallback: number) =>
          settings?.getOptionalNumber(key) ?? fallback;

        const catalog = new PlatformCatalog(
          deps.catalog,
          deps.auth,
          logger,
          clock,
        );
        const ingest = new IngestService(db);
        const rollups = new RollupStore(db, {
          clock,
          minuteRetentionDays: num('retention.minuteRollupDays', 7),
        });

        deps.permissionsRegistry.addResourceType({
          resourceRef: tenantResourceRef,
          permissions: platformPermissions.filter(p => p.type === 'resource'),
          rules: Object.values(platformTenantRules),
          getResources: async refs => {
            const { tenants } = await catalog.entities();
            return refs.map(ref => tenants.find(t => t.metadata.name === ref));
          },
        });
        deps.permissionsRegistry.addPermissions(
          platformPermissions.filter(p => p.type === 'basic'),
        );
        const access = new TenantAccess(
          deps.permissions,
          catalog,
          createConditionTransformer(
            deps.permissionsRegistry.getPermissionRuleset(tenantResourceRef),
          ),
        );

        const reconcilerConfig = settings?.getOptionalConfig('reconciler');
        const gateways: Record<string, GatewayTarget> = {};
        const gatewaysConfig = reconcilerConfig?.getOptionalConfig('gateways');
        for (const cell of gatewaysConfig?.keys() ?? []) {
          gateways[cell] = {
            baseUrl: gatewaysConfig!.getOptionalString(`${cell}.baseUrl`),
            adminToken: gatewaysConfig!.getOptionalString(`${cell}.adminToken`),
          };
        }
        const apiKeyStore = new ApiKeyStore(db, clock);
        const reconciler = new ReconcilerService({
          extraApiKeys: readExtraApiKeys(reconcilerConfig),
          apiKeys: apiKeyStore,
          db,
          catalog,
          client: new GatewayClient(
            num('reconciler.requestTimeoutSeconds', 10) * 1000,
          ),
          clock,
          logger,
          gateways,
          locator: gatewayLocator,
          defaultAdminToken: reconcilerConfig?.getOptionalString('adminToken'),
          initialBackoffMs: num('reconciler.initialBackoffSeconds', 5) * 1000,
          maxBackoffMs: num('reconciler.maxBackoffSeconds', 300) * 1000,
        });
        if (reconcilerConfig?.getOptionalBoolean('enabled') ?? true) {
          await scheduler.scheduleTask({
            id: 'platform-reconcile-gateways',
            frequency: { seconds: num('reconciler.intervalSeconds', 30) },
            timeout: { minutes: 5 },
            initialDelay: { seconds: 10 },
            fn: () => reconciler.reconcileAll(),
          });
        }

        const apiKeyReveals = new ApiKeyRevealStore(
          db,
          clock,
          num('apiKeys.revealHours', 24) * 3600_000,
        );
        const purge = new RetentionPurge(db, clock, {
          rawDays: num('retention.rawDays', 30),
          minuteRollupDays: num('retention.minuteRollupDays', 7),
          hourRollupDays: num('retention.hourRollupDays', 400),
        });
        await scheduler.scheduleTask({
          id: 'platform-retention-purge',
          frequency: { minutes: num('retention.purgeIntervalMinutes', 60) },
          timeout: { minutes: 30 },
          initialDelay: { minutes: 1 },
          fn: async () => {
            const purged = await purge.purge();
            const expiredKeyReveals = await apiKeyReveals.purgeExpired();
            const expiredMintedKeys = await apiKeyStore.purgeExpired();
            logger.info(
              `Retention purge: ${JSON.stringify({
                ...purged,
                expiredKeyReveals,
                expiredMintedKeys,
              })}`,
            );
          },
        });

        if (settings?.getOptionalBoolean('nats.enabled')) {
          const servers = settings.getOptional<string | string[]>(
            'nats.servers',
          );
          const consumer = new NatsIngestConsumer(ingest, logger, {
            servers: servers
              ? ([] as string[]).concat(servers)
              : ['nats://127.0.0.1:4222'],
            stream:
              settings.getOptionalString('nats.stream') ?? 'CELLPORT_EVENTS',
            subjects: settings.getOptionalStringArray('nats.subjects') ?? [
              'cellport.events.>',
            ],
            durable:
              settings.getOptionalString('nats.durable') ?? 'platform-backend',
            batchSize: num('nats.batchSize', 16),
            retryDelayMs: num('nats.retryDelayMs', 5000),
          });
          lifecycle.addStartupHook(() => consumer.start());
          lifecycle.addShutdownHook(() => consumer.stop());
        }

        const gpuSamplingMinutes = num('cost.gpuSampling.intervalMinutes', 5);
        const gpuSamples = new GpuReplicaSampleStore(
          db,
          // A sample stands for two intervals, so one missed pass leaves no gap.
          2 * gpuSamplingMinutes * 60_000,
        );
        let demo: DemoBackfill | undefined;
        if (settings?.getOptionalBoolean('demo.enabled')) {
          demo = new DemoBackfill(catalog, ingest, clock, logger);
          const days = num('demo.backfillDaysOnStart', 0);
          if (days > 0) {
            const backfill = demo;
            const gpuHistory = new DemoGpuHistory(catalog, gpuSamples, clock);
            await scheduler.scheduleTask({
              id: 'platform-demo-backfill',
              // Retried until the catalog has agents and the history exists; then a no-op.
              // Live traffic starts at once, so only demo history counts as existing.
              frequency: { minutes: 10 },
              timeout: { minutes: 10 },
              initialDelay: { seconds: 30 },
              fn: async () => {
                const existing = await db('platform_usage_events')
                  .where('demo', true)
                  .first('id');
                if (existing) return;
                await backfill.backfill(days);
                await gpuHistory.record(days);
              },
            });
          }
          const traffic = settings.getOptionalConfig('demo.traffic');
          if (traffic?.getOptionalBoolean('enabled')) {
            const generator = new TrafficGenerator(
              (traffic.getOptionalConfigArray('targets') ?? []).map(target => ({
                gatewayUrl: target.getString('gatewayUrl'),
                apiKey: target.getString('apiKey'),
                models: target.getStringArray('models'),
              })),
              {
                requestsPerSecond:
                  traffic.getOptionalNumber('requestsPerSecond') ?? 3,
                logger,
              },
            );
            lifecycle.addStartupHook(() => generator.start());
            lifecycle.addShutdownHook(() => generator.stop());
          }
        }

        const slo = new SloService(catalog, new SloEngine(rollups, clock));
        const replayRoutes = () => {
          const service = new ReplayService(db, catalog, {
            maxDecisions: num('replay.maxDecisions', 5_000_000),
          });
          return {
            service,
            jobs: new ReplayJobs(
              (request, run) => service.replay(request, run),
              clock,
              { maxRunning: num('replay.maxRunning', 2) },
            ),
            access: new ReplayAccess(db, catalog),
          };
        };
        const clusters = KubernetesClusterConfig.fromConfig(config);
        const deployAudit = new DeployAuditLog(db, clock);
        const deploy = new DeployService({
          targets: new DeployTargets(catalog, {
            gateway: settings?.getOptionalString('deploy.images.gateway'),
            vllm: settings?.getOptionalString('deploy.images.vllm'),
          }),
          clusters,
          planner: new DeployPlanner(),
          gate: new ErrorBudgetGate(slo),
          audit: deployAudit,
          logger,
          requestTimeoutMs: num('deploy.requestTimeoutSeconds', 30) * 1000,
        });

        const gpuSpend = new GpuSpendLedger({
          catalog,
          rollups,
          samples: gpuSamples,
          firstApplied: refs => deployAudit.firstApplied(refs),
          gpuHourlyUsd: gpuPricesFromConfig(config),
        });
        if (clusters.names().length > 0) {
          const sampler = new GpuReplicaSampler({
            catalog,
            deploy,
            samples: gpuSamples,
            clock,
            logger,
          });
          await scheduler.scheduleTask({
            id: 'platform-gpu-replica-sampling',
            frequency: { minutes: gpuSamplingMinutes },
            timeout: { minutes: 5 },
            initialDelay: { seconds: 30 },
            fn: async () => {
              await sampler.sample();
            },
          });
        }

        // Alertmanager sends a static bearer token, which alertWebhookAuth checks itself.
        deps.httpRouter.addAuthPolicy({
          path: ALERT_WEBHOOK_ROUTE,
          allow: 'unauthenticated',
        });
        deps.httpRouter.use(
          alertWebhookAuth({
            webhookToken: settings?.getOptionalString('alerts.webhookToken'),
            httpAuth: deps.httpAuth,
          }),
        );
        deps.httpRouter.use(
          await createRouter({
            replays: replayRoutes(),
            logger,
            httpAuth: deps.httpAuth,
            permissions: deps.permissions,
            clock,
            access,
            ingest,
            decisions: new DecisionStore(db),
            rollups,
            slo,
            cost: new CostEngine(rollups, catalog, clock, gpuSpend),
            reconciler,
            cells: new CellStatusService({
              catalog,
              slo,
              rollups,
              gpu: gpuSpend,
              reconciler,
              clock,
            }),
            deploy,
            alerts: new AlertService(new AlertStore(db, clock), catalog),
            apiKeyReveals,
            apiKeys: new ApiKeyService({
              catalog,
              store: apiKeyStore,
              reveals: apiKeyReveals,
              reconciler,
              clock,
              rotationGraceMs: num('apiKeys.rotationGraceHours', 24) * 3600_000,
            }),
            demo,
          }),
        );
      },
    });
  },
});
