/**
 * The embedded default's cell runtime: one local AI gateway process per Cell in the catalog.
 * Only the development backend registers it.
 *
 * @packageDocumentation
 */
export { platformModuleLocalRuntime as default } from './module';
export { LocalGatewayFleet } from './LocalGatewayFleet';
