/**
 * The deploy driver's API (`/api/platform-deploy`): the models of its OpenAPI document and
 * `PlatformDeployApiClient`, for the portal's deploy cards and the platform backend's GPU
 * sampling and ledger.
 *
 * @packageDocumentation
 */
export * from './schema/openapi/generated';
export * from './deploySignals';
