/**
 * The catalog module for Cellport's platform kinds.
 *
 * @packageDocumentation
 */
export { catalogModulePlatform as default } from './module';
export { PlatformEntitiesProcessor } from './processor/PlatformEntitiesProcessor';
export type { EntityLookup } from './processor/PlatformEntitiesProcessor';
