/**
 * Relations between platform entities, emitted by the catalog module in both directions.
 * Built-in Backstage relation names are reused where their meaning fits.
 */
/** Tenant, Agent or InferenceDeployment → the Cell that runs it. */
export const RELATION_HOSTED_BY = 'hostedBy';
/** Cell → what it runs. */
export const RELATION_HOSTS = 'hosts';
/** Agent → its Tenant (Backstage's own partOf / hasPart). */
export const RELATION_PART_OF = 'partOf';
export const RELATION_HAS_PART = 'hasPart';
/** Agent → the ModelProfiles it may be routed to (Backstage's own dependsOn / dependencyOf). */
export const RELATION_DEPENDS_ON = 'dependsOn';
export const RELATION_DEPENDENCY_OF = 'dependencyOf';
/** InferenceDeployment → the ModelProfile it serves. */
export const RELATION_PROVIDES_MODEL = 'providesModel';
export const RELATION_MODEL_PROVIDED_BY = 'modelProvidedBy';
