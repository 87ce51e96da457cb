import { createBackend } from '@backstage/backend-defaults';

const backend = createBackend();

backend.add(import('@backstage/plugin-app-backend'));

backend.add(import('@backstage/plugin-auth-backend'));
backend.add(import('@backstage/plugin-auth-backend-module-guest-provider'));
backend.add(import('@backstage/plugin-auth-backend-module-github-provider'));

backend.add(import('@backstage/plugin-catalog-backend'));
backend.add(
  import('@backstage/plugin-catalog-backend-module-scaffolder-entity-model'),
);
backend.add(import('@backstage/plugin-catalog-backend-module-logs'));
backend.add(import('@backstage/plugin-catalog-backend-module-unprocessed'));
backend.add(import('@cellport/plugin-catalog-backend-module-platform'));

backend.add(import('@backstage/plugin-scaffolder-backend'));
backend.add(import('@backstage/plugin-scaffolder-backend-module-github'));
backend.add(import('@backstage/plugin-scaffolder-backend-module-gitlab'));
backend.add(import('@cellport/plugin-scaffolder-backend-module-platform'));

backend.add(import('@backstage/plugin-kubernetes-backend'));

backend.add(import('@backstage/plugin-permission-backend'));
backend.add(
  import('@cellport/plugin-permission-backend-module-platform-policy'),
);

// Alerts, budget thresholds and deploy results reach people as notifications (signals push
// them to open pages).
backend.add(import('@backstage/plugin-notifications-backend'));
backend.add(import('@backstage/plugin-signals-backend'));

backend.add(import('@cellport/plugin-platform-backend'));
backend.add(import('@cellport/plugin-platform-deploy-backend'));
// The embedded default's cell runtime (a local gateway process per Cell) and its demo
// (history and live traffic). Production applies each cell's manifests instead (the Deploy
// card) and has no demo; its image runs with NODE_ENV=production.
if (process.env.NODE_ENV !== 'production') {
  backend.add(import('@cellport/plugin-platform-backend-module-local-runtime'));
  backend.add(import('@cellport/plugin-platform-backend-module-demo'));
}

backend.add(import('@backstage/plugin-search-backend'));
backend.add(import('@backstage/plugin-search-backend-module-pg'));
backend.add(import('@backstage/plugin-search-backend-module-catalog'));

backend.start();
