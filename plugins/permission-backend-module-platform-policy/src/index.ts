/**
 * Cellport's permission policy module.
 *
 * @packageDocumentation
 */
export { permissionModulePlatformPolicy as default } from './module';
export { PlatformPermissionPolicy } from './PlatformPermissionPolicy';
export { SELF_SERVICE_ACTIONS } from './selfService';
