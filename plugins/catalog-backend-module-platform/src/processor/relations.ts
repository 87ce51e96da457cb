import {
  CompoundEntityRef,
  RELATION_OWNED_BY,
  RELATION_OWNER_OF,
} from '@backstage/catalog-model';
import {
  PlatformKind,
  RELATION_DEPENDENCY_OF,
  RELATION_DEPENDS_ON,
  RELATION_HAS_PART,
  RELATION_HOSTED_BY,
  RELATION_HOSTS,
  RELATION_MODEL_PROVIDED_BY,
  RELATION_PART_OF,
  RELATION_PROVIDES_MODEL,
} from '@cellport/plugin-platform-common';
import { PlatformReference } from './references';

export interface PlatformRelation {
  source: CompoundEntityRef;
  type: string;
  target: CompoundEntityRef;
}

/**
 * For each kind and referring field, the relation from the entity to the target and the one
 * back. Fields not listed (a tenant's model allowlist) emit no relation.
 */
const RELATIONS: Record<PlatformKind, Record<string, [string, string]>> = {
  Tenant: { 'spec.cell': [RELATION_HOSTED_BY, RELATION_HOSTS] },
  Cell: { 'spec.tenants': [RELATION_HOSTS, RELATION_HOSTED_BY] },
  Agent: {
    'spec.tenant': [RELATION_PART_OF, RELATION_HAS_PART],
    'spec.cell': [RELATION_HOSTED_BY, RELATION_HOSTS],
    'spec.modelProfiles': [RELATION_DEPENDS_ON, RELATION_DEPENDENCY_OF],
    'spec.routing.fallbackChain': [RELATION_DEPENDS_ON, RELATION_DEPENDENCY_OF],
  },
  ModelProfile: {},
  InferenceDeployment: {
    'spec.cell': [RELATION_HOSTED_BY, RELATION_HOSTS],
    'spec.modelProfile': [RELATION_PROVIDES_MODEL, RELATION_MODEL_PROVIDED_BY],
  },
};

/** The relations (both directions) that a platform entity's references imply. */
export function platformRelations(
  kind: PlatformKind,
  self: CompoundEntityRef,
  references: PlatformReference[],
): PlatformRelation[] {
  const relations: PlatformRelation[] = [];
  for (const { field, target } of references) {
    const fieldName = field.replace(/\[\d+\]$/, '');
    const pair =
      fieldName === 'spec.owner'
        ? [RELATION_OWNED_BY, RELATION_OWNER_OF]
        : RELATIONS[kind][fieldName];
    if (!pair) continue;
    relations.push({ source: self, type: pair[0], target });
    relations.push({ source: target, type: pair[1], target: self });
  }
  return relations;
}
