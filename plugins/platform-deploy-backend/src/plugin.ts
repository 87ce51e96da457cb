import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { notificationService } from '@backstage/plugin-notifications-node';
import { signalsServiceRef } from '@backstage/plugin-signals-node';
import {
  platformDeployApplyPermission,
  platformRuntimeReadPermission,
} from '@cellport/plugin-platform-common';
import {
  PlatformCatalog,
  platformSloReaderServiceRef,
  systemClock,
} from '@cellport/plugin-platform-node';
import { DeployService } from './apply/DeployService';
import { DeployAuditLog } from './audit/DeployAuditLog';
import { openDatabase } from './database/openDatabase';
import { ErrorBudgetGate } from './gate/ErrorBudgetGate';
import { createRouter } from './router';
import { DeployNotifier } from './rollouts/DeployNotifier';
import { RolloutFollower } from './rollouts/RolloutFollower';

/**
 * Cellport's deploy driver (`/api/platform-deploy`): plans and applies Cells' and
 * InferenceDeployments' rendered manifests to their clusters with server-side apply, follows
 * the rollouts, audits every attempt, and holds changes to a cell whose availability error
 * budget is spent (read from the platform backend's SLOs). This file only wires.
 *
 * @public
 */
export const platformDeployPlugin = createBackendPlugin({
  pluginId: 'platform-deploy',
  register(env) {
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
        lifecycle: coreServices.lifecycle,
        catalog: catalogServiceRef,
        notifications: notificationService,
        signals: signalsServiceRef,
        slos: platformSloReaderServiceRef,
      },
      async init(deps) {
        const { logger, config, lifecycle } = deps;
        deps.permissionsRegistry.addPermissions([
          platformDeployApplyPermission,
          platformRuntimeReadPermission,
        ]);
        const db = await openDatabase(deps.database);
        const catalog = new PlatformCatalog(
          deps.catalog,
          deps.auth,
          logger,
          systemClock,
        );
        const audit = new DeployAuditLog(db, systemClock);
        const deploy = DeployService.fromConfig(config, {
          catalog,
          gate: new ErrorBudgetGate(deps.slos),
          audit,
          logger,
        });
        const notifier = new DeployNotifier(deps.notifications, logger);
        const rollouts = new RolloutFollower({
          status: entityRef => deploy.status(entityRef),
          signals: deps.signals,
          notifier,
          logger,
          intervalMs: 2_000,
          timeoutMs: 15 * 60_000,
        });
        lifecycle.addShutdownHook(() => rollouts.stopAll());
        deps.httpRouter.use(
          await createRouter({
            httpAuth: deps.httpAuth,
            permissions: deps.permissions,
            logger,
            deploy,
            audit,
            notifier,
            rollouts,
          }),
        );
      },
    });
  },
});
