/**
 * Cellport's Kubernetes manifest renderer (the one place cell and inference manifests are
 * written, used by the scaffolder actions, the deploy driver and deploy/), the catalog →
 * gateway desired state (the reconciler's, replay's and the demo history's one rule), the
 * extension points and permission rules the platform's backend plugins and modules share, and
 * how their routers answer a failure (`failureAnswers`: a database that cannot answer now is a
 * 503, decided once by `databaseUnavailable`).
 *
 * @packageDocumentation
 */
export * from './manifests/labels';
export * from './manifests/types';
export * from './manifests/toYaml';
export {
  renderCellManifests,
  SHARED_GATEWAY_NAMESPACE,
} from './manifests/cell/renderCellManifests';
export { GATEWAY_SECRET } from './manifests/cell/gatewayManifests';
export { TENANT_QUOTAS } from './manifests/cell/tenantQuotas';
export { renderInferenceManifests } from './manifests/inference/renderInferenceManifests';
export { renderServiceMonitors } from './manifests/monitoring/renderServiceMonitors';
export {
  renderSloRuleGroups,
  renderSloRuleFile,
  renderSloPrometheusRule,
  sliErrorRatioRecord,
} from './manifests/monitoring/renderSloRules';
export type {
  PrometheusRuleEntry,
  PrometheusRuleGroup,
  SloRuleOptions,
} from './manifests/monitoring/renderSloRules';
export { writeSloRuleFiles } from './manifests/monitoring/writeSloRuleFiles';
export {
  GATEWAY_SCRAPE_JOB,
  renderGatewayAlertGroup,
} from './manifests/monitoring/renderGatewayAlertRules';
export {
  renderAlertmanagerConfig,
  renderAlertmanagerConfigYaml,
} from './manifests/monitoring/renderAlertmanagerConfig';
export type { AlertmanagerConfigOptions } from './manifests/monitoring/renderAlertmanagerConfig';
export {
  kubernetesLabelValueProblem,
  validateManifests,
} from './manifests/validateManifests';
export { renderDeployTree } from './deploy/renderDeployTree';
export type { PortalUrls } from './deploy/renderDeployTree';
export type { ManifestProblem } from './manifests/validateManifests';
export * from './permissions/platformTenantRules';
export * from './runtime/gatewayLocator';
export * from './apiKeys/mintApiKey';
export * from './catalog/platformEntities';
export * from './catalog/PlatformCatalog';
export * from './gatewayState/boundApiKeys';
export * from './gatewayState/desiredState';
export * from './gatewayState/cellRoutingState';
export * from './history/platformHistoryExtensionPoint';
export * from './clients/platformSloReader';
export * from './clients/platformDeployReader';
export * from './clock';
export * from './http/parseInput';
export * from './http/openApiInputErrors';
export * from './http/failureAnswers';
export * from './database/databaseFailures';
export * from './config/readConfigSection';
export * from './http/requirePermission';
