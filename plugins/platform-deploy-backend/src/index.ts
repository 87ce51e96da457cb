/**
 * Cellport's deploy driver backend plugin. Its permissions are in
 * `@cellport/plugin-platform-common`, its API's client and models in
 * `@cellport/plugin-platform-deploy-common`.
 *
 * @packageDocumentation
 */
export { platformDeployPlugin as default } from './plugin';
