import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { platformHistoryExtensionPoint } from '@cellport/plugin-platform-node';
import { DemoHistory } from './DemoHistory';
import { createDemoRouter } from './demoRouter';
import { TrafficGenerator } from './TrafficGenerator';

/**
 * The development backend's demo (`npm start` only): `POST /api/platform/demo/backfill`,
 * history generated at a first start, and live traffic through the gateways with demo keys.
 * Off unless `platform.demo.enabled`; production backends do not register it.
 */
export const platformModuleDemo = createBackendModule({
  pluginId: 'platform',
  moduleId: 'demo',
  register(reg) {
    reg.registerInit({
      deps: {
        config: coreServices.rootConfig,
        logger: coreServices.logger,
        lifecycle: coreServices.lifecycle,
        scheduler: coreServices.scheduler,
        httpRouter: coreServices.httpRouter,
        httpAuth: coreServices.httpAuth,
        permissions: coreServices.permissions,
        history: platformHistoryExtensionPoint,
      },
      async init(deps) {
        const settings = deps.config.getOptionalConfig('platform.demo');
        if (!settings?.getOptionalBoolean('enabled')) return;
        const history = new DemoHistory({
          scheduler: deps.scheduler,
          logger: deps.logger,
          backfillDaysOnStart:
            settings.getOptionalNumber('backfillDaysOnStart') ?? 0,
        });
        deps.history.addHistorySource(history);
        deps.httpRouter.use(
          createDemoRouter({
            httpAuth: deps.httpAuth,
            permissions: deps.permissions,
            backfill: days => history.backfill(days),
          }),
        );

        const traffic = settings.getOptionalConfig('traffic');
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
              logger: deps.logger,
            },
          );
          deps.lifecycle.addStartupHook(() => generator.start());
          deps.lifecycle.addShutdownHook(() => generator.stop());
        }
      },
    });
  },
});
