/**
 * Cellport's platform backend plugin.
 *
 * @packageDocumentation
 */
export { platformPlugin as default } from './plugin';
export * from './permissions';
export {
  platformTenantConditions,
  createPlatformTenantConditionalDecision,
  platformTenantRules,
  tenantResourceRef,
} from './permissionRules';
