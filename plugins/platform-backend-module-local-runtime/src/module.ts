import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { platformGatewayLocatorExtensionPoint } from '@cellport/plugin-platform-node';
import path from 'node:path';
import { LocalGatewayFleet } from './LocalGatewayFleet';

/**
 * The embedded default's cell runtime (`npm start` only): every Cell in the catalog that
 * names no gateway, in its entity or in `platform.reconciler.gateways`, gets a local gateway
 * process in front of the simulator, on a port the reconciler and the Runtime card read
 * through the platform's gateway locator. A cell removed from the catalog has its gateway
 * stopped. Off unless `platform.localRuntime.enabled`.
 */
export const platformModuleLocalRuntime = createBackendModule({
  pluginId: 'platform',
  moduleId: 'local-runtime',
  register(reg) {
    reg.registerInit({
      deps: {
        config: coreServices.rootConfig,
        logger: coreServices.logger,
        lifecycle: coreServices.lifecycle,
        scheduler: coreServices.scheduler,
        auth: coreServices.auth,
        catalog: catalogServiceRef,
        locators: platformGatewayLocatorExtensionPoint,
      },
      async init({
        config,
        logger,
        lifecycle,
        scheduler,
        auth,
        catalog,
        locators,
      }) {
        const settings = config.getOptionalConfig('platform.localRuntime');
        if (!settings?.getOptionalBoolean('enabled')) return;
        const adminToken = config.getOptionalString(
          'platform.reconciler.adminToken',
        );
        if (!adminToken) {
          throw new Error(
            "platform.localRuntime needs platform.reconciler.adminToken: the local gateways take the reconciler's pushes with it",
          );
        }
        const stateDir = path.resolve(
          settings.getOptionalString('stateDir') ?? 'data/local-runtime',
        );
        const fleet = new LocalGatewayFleet({
          logger,
          adminToken,
          upstreamOrigin:
            settings.getOptionalString('upstreamOrigin') ??
            'http://127.0.0.1:7070',
          eventsUrl: settings.getOptionalString('eventsUrl'),
          eventsToken: settings.getOptionalString('eventsToken'),
          spoolDir: path.resolve(
            settings.getOptionalString('spoolDir') ??
              path.join(stateDir, 'spool'),
          ),
          stateDir,
          ports: Object.fromEntries(
            (settings.getOptionalConfig('ports')?.keys() ?? []).map(cell => [
              cell,
              settings.getNumber(`ports.${cell}`),
            ]),
          ),
          firstPort: settings.getOptionalNumber('firstPort') ?? 7081,
          startTimeoutMs:
            (settings.getOptionalNumber('startTimeoutSeconds') ?? 60) * 1000,
          restartDelayMs: 1_000,
          maxRestartDelayMs: 30_000,
        });
        locators.setGatewayLocator(fleet);

        const configured = new Set(
          config.getOptionalConfig('platform.reconciler.gateways')?.keys() ??
            [],
        );
        await scheduler.scheduleTask({
          id: 'platform-local-runtime-sync',
          frequency: {
            seconds: settings.getOptionalNumber('syncIntervalSeconds') ?? 3,
          },
          timeout: { minutes: 1 },
          scope: 'local',
          fn: async () => {
            const { items } = await catalog.getEntities(
              {
                filter: { kind: 'Cell' },
                fields: ['metadata.name', 'spec.gateway'],
              },
              { credentials: await auth.getOwnServiceCredentials() },
            );
            const cells = items
              .filter(cell => {
                const gateway = (
                  cell.spec as { gateway?: { baseUrl?: string } }
                )?.gateway;
                return !gateway?.baseUrl && !configured.has(cell.metadata.name);
              })
              .map(cell => cell.metadata.name);
            await fleet.sync(cells);
          },
        });
        lifecycle.addShutdownHook(() => fleet.stopAll());
      },
    });
  },
});
