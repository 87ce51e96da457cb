/**
 * Cellport's platform model: the catalog kinds (Tenant, Cell, Agent, ModelProfile,
 * InferenceDeployment) and the contract between the runtime and the portal.
 *
 * @packageDocumentation
 */
export * from './kinds/common';
export * from './kinds/bounds';
export * from './kinds/slo';
export * from './slo/sloState';
export * from './kinds/serviceSlos';
export * from './slo/promSelector';
export * from './slo/runtimeServices';
export * from './slo/gatewaySliMetrics';
export * from './slo/cellServiceSlos';
export * from './slo/sliQueries';
export * from './slo/burnRateAlerts';
export * from './slo/openSlo';
export * from './slo/portalLinks';
export * from './slo/prometheusBackedObjectives';
export * from './slo/errorBudgetCheck';
export * from './kinds/entity';
export * from './kinds/gpus';
export * from './kinds/tenant';
export * from './kinds/cell';
export * from './kinds/agent';
export * from './kinds/modelProfile';
export * from './kinds/inferenceDeployment';
export * from './kinds/registry';
export * from './kinds/relations';
export * from './contract/events';
export * from './contract/gatewayState';
export * from './inference/knownModels';
export * from './inference/gpuFit';
export * from './inference/gpuPool';
export * from './inference/contextLength';
export * from './placement/placementRules';
export * from './isolation/entityRefName';
export * from './isolation/hostedTenants';
export * from './isolation/privateModels';
export * from './permissions';
export * from './schema/openapi/generated';
export * from './apiKeysAnnotation';
