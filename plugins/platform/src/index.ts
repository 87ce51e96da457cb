/**
 * Cellport's portal plugin: the Cells overview, cell dashboards and the platform kinds' pages.
 *
 * @packageDocumentation
 */
export { platformPlugin as default } from './plugin';
export { cellsRouteRef } from './routes';
export { platformApiRef, PlatformClient } from './api';
export type { PlatformApi } from './api';
