/**
 * The development backend's demo for Cellport's platform plugin: generated history and live
 * traffic through the gateways.
 *
 * @packageDocumentation
 */
export { platformModuleDemo as default } from './module';
export { demoRequestsFor, DEMO_OUTAGE_ANNOTATION } from './demoRequests';
export { DemoBackfill } from './DemoBackfill';
export type { BackfillResult } from './DemoBackfill';
