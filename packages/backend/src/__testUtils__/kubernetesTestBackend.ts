/*
 * A backend with the catalog, Backstage's Kubernetes plugin and Cellport's platform and deploy
 * plugins, configured by the file given with --config. kubernetes.test.ts runs it as a Node
 * process of its own: the Kubernetes plugin loads @kubernetes/client-node (an ES module) with a dynamic
 * import on every cluster request, which Jest's module runtime cannot run.
 */
import { createBackend } from '@backstage/backend-defaults';

const backend = createBackend();
backend.add(import('@backstage/plugin-catalog-backend'));
backend.add(import('@cellport/plugin-catalog-backend-module-platform'));
backend.add(import('@backstage/plugin-kubernetes-backend'));
backend.add(import('@backstage/plugin-permission-backend'));
backend.add(
  import('@cellport/plugin-permission-backend-module-platform-policy'),
);
backend.add(import('@cellport/plugin-platform-backend'));
backend.add(import('@cellport/plugin-platform-deploy-backend'));
backend.start();
