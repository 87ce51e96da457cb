/**
 * Scaffolder actions of Cellport's self-service templates.
 *
 * @packageDocumentation
 */
export { scaffolderModulePlatform as default } from './module';
