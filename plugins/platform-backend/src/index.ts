/**
 * Cellport's platform backend plugin. Its permissions are in
 * `@cellport/plugin-platform-common`, their rules and conditions in
 * `@cellport/plugin-platform-node`.
 *
 * @packageDocumentation
 */
export { platformPlugin as default } from './plugin';
