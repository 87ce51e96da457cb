import { Entity } from '@backstage/catalog-model';
import {
  AgentEntity,
  CellEntity,
  InferenceDeploymentEntity,
  IsolationCatalog,
  isolationCatalogOf,
  ModelProfileEntity,
  PlatformKind,
  PlatformValidationIssue,
  TenantEntity,
  validatePlatformEntity,
} from '@cellport/plugin-platform-common';

/** The platform entities of the catalog, parsed with their kinds' defaults applied. */
export interface PlatformEntities {
  tenants: TenantEntity[];
  cells: CellEntity[];
  agents: AgentEntity[];
  modelProfiles: ModelProfileEntity[];
  inferenceDeployments: InferenceDeploymentEntity[];
  /**
   * What the private-capacity rule reads, from every entity of the platform kinds, valid or
   * not: an InferenceDeployment left out above still keeps its model private (fail closed).
   */
  isolation: IsolationCatalog;
}

const LIST_OF_KIND: Record<
  PlatformKind,
  Exclude<keyof PlatformEntities, 'isolation'>
> = {
  Tenant: 'tenants',
  Cell: 'cells',
  Agent: 'agents',
  ModelProfile: 'modelProfiles',
  InferenceDeployment: 'inferenceDeployments',
};

/**
 * Sorts catalog entities of the platform kinds into their lists, each parsed by its kind's
 * schema. An entity that fails it is left out and handed to `onInvalid` (the catalog module
 * reports it on the entity), so one bad entity cannot stop the reconciler or the dashboards.
 */
export function toPlatformEntities(
  items: Entity[],
  onInvalid: (entity: Entity, issues: PlatformValidationIssue[]) => void,
): PlatformEntities {
  const result: PlatformEntities = {
    tenants: [],
    cells: [],
    agents: [],
    modelProfiles: [],
    inferenceDeployments: [],
    isolation: isolationCatalogOf(items),
  };
  for (const item of items) {
    const list = LIST_OF_KIND[item.kind as PlatformKind];
    if (!list) continue;
    const parsed = validatePlatformEntity(item.kind as PlatformKind, item);
    if (parsed.ok) (result[list] as unknown[]).push(parsed.entity);
    else onInvalid(item, parsed.issues);
  }
  return result;
}
