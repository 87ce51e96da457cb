import {
  Entity,
  getCompoundEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { InputError } from '@backstage/errors';
import {
  CatalogProcessor,
  CatalogProcessorEmit,
  processingResult,
} from '@backstage/plugin-catalog-node';
import { LocationSpec } from '@backstage/plugin-catalog-common';
import {
  CellForIsolation,
  entityRefName,
  hostedTenants,
  joinRefusals,
  formatValidationIssues,
  isPlatformEntity,
  PlatformKind,
  privateModelRefusal,
  ProfileForIsolation,
  sameEntityName,
  TenantForIsolation,
  validatePlatformEntity,
} from '@cellport/plugin-platform-common';
import { LazyIsolationCatalog } from './LazyIsolationCatalog';
import { platformReferences, PlatformReference } from './references';
import { platformRelations } from './relations';

/** Reads the catalog the processor checks references against. */
export interface EntityLookup {
  /** Entities by ref; undefined where an entity is not in the catalog. */
  getEntitiesByRefs(refs: string[]): Promise<Array<Entity | undefined>>;
  /** Every entity of the given kinds. */
  getEntitiesOfKinds(kinds: string[]): Promise<Entity[]>;
}

/**
 * Validates Tenant, Cell, Agent, ModelProfile and InferenceDeployment entities against the
 * platform schemas, reports references to entities the catalog does not have, and emits the
 * relations between them.
 */
export class PlatformEntitiesProcessor implements CatalogProcessor {
  constructor(private readonly lookup: EntityLookup) {}

  getProcessorName(): string {
    return 'PlatformEntitiesProcessor';
  }

  async validateEntityKind(entity: Entity): Promise<boolean> {
    if (!isPlatformEntity(entity)) {
      return false;
    }
    const result = validatePlatformEntity(entity.kind as PlatformKind, entity);
    if (!result.ok) {
      throw new InputError(
        `Invalid ${entity.kind} "${
          entity.metadata.name
        }": ${formatValidationIssues(result.issues)}`,
      );
    }
    return true;
  }

  async postProcessEntity(
    entity: Entity,
    location: LocationSpec,
    emit: CatalogProcessorEmit,
  ): Promise<Entity> {
    if (!isPlatformEntity(entity)) {
      return entity;
    }
    const kind = entity.kind as PlatformKind;
    const self = getCompoundEntityRef(entity);
    const references = platformReferences(kind, entity);

    for (const relation of platformRelations(kind, self, references)) {
      emit(processingResult.relation(relation));
    }

    const problems = await this.checkReferences(kind, entity, references);
    if (problems.length > 0) {
      emit(
        processingResult.inputError(
          location,
          `${kind} "${entity.metadata.name}": ${problems.join('; ')}`,
        ),
      );
    }
    return entity;
  }

  /** Unknown targets, and targets that exist but contradict this entity. */
  private async checkReferences(
    kind: PlatformKind,
    entity: Entity,
    references: PlatformReference[],
  ): Promise<string[]> {
    const refs = references.map(r => stringifyEntityRef(r.target));
    if (refs.length === 0) return [];
    const found = await this.lookup.getEntitiesByRefs(refs);
    const problems: string[] = [];
    const isolation = new LazyIsolationCatalog(this.lookup);
    for (const [index, reference] of references.entries()) {
      const target = found[index];
      if (!target) {
        problems.push(
          `${reference.field}: ${refs[index]} does not exist in the catalog`,
        );
        continue;
      }
      const mismatch = await contradiction(
        kind,
        entity,
        reference.field,
        target,
        isolation,
      );
      if (mismatch) problems.push(`${reference.field}: ${mismatch}`);
    }
    const tenant = userOfModels(kind, entity);
    for (const [index, reference] of references.entries()) {
      const target = found[index];
      if (!tenant || target?.kind !== 'ModelProfile') continue;
      const refusal = privateModelRefusal(
        tenant,
        // Stored ModelProfiles passed their schema, `spec.sharing` included.
        target as unknown as ProfileForIsolation,
        await isolation.get(),
      );
      if (refusal) problems.push(`${reference.field}: ${refusal}`);
    }
    return problems;
  }
}

/** The tenant whose boundaries the entity's model references must respect. */
function userOfModels(kind: PlatformKind, entity: Entity): string | undefined {
  if (kind === 'Tenant') return entity.metadata.name;
  const tenant = (entity.spec as { tenant?: unknown } | undefined)?.tenant;
  if (kind === 'Agent' && typeof tenant === 'string') {
    return entityRefName(tenant);
  }
  return undefined;
}

/** Rules that tie an entity to what it refers to. */
async function contradiction(
  kind: PlatformKind,
  entity: Entity,
  field: string,
  target: Entity,
  isolation: LazyIsolationCatalog,
): Promise<string | undefined> {
  const spec = entity.spec as Record<string, any>;
  const targetSpec = (target.spec ?? {}) as Record<string, any>;
  if (kind === 'Agent' && field === 'spec.cell') {
    const tenant = entityRefName(spec.tenant);
    const hosts = hostedTenants(
      target as unknown as CellForIsolation,
      (await isolation.get()).tenants,
    );
    if (!hosts.some(h => sameEntityName(h, tenant))) {
      return `cell "${target.metadata.name}" does not host tenant "${tenant}"`;
    }
  }
  if (
    kind === 'Tenant' &&
    field === 'spec.cell' &&
    targetSpec.tier !== spec.isolation
  ) {
    return `cell "${target.metadata.name}" is ${targetSpec.tier}, the tenant needs ${spec.isolation} isolation`;
  }
  if (kind === 'Tenant' && field === 'spec.cell' && target.kind === 'Cell') {
    // The form's rule for shared cells, for a Tenant written by hand: against the tenants
    // already in the catalog, so one in place never loses its place to this one.
    const refusals = joinRefusals(
      target as unknown as CellForIsolation,
      entity as unknown as TenantForIsolation,
      (await isolation.get()).tenants,
    );
    if (refusals.length > 0) return refusals.join('; ');
  }
  if (kind === 'Cell' && field.startsWith('spec.tenants')) {
    if (targetSpec.isolation !== spec.tier) {
      return `tenant "${target.metadata.name}" needs ${targetSpec.isolation} isolation, this cell is ${spec.tier}`;
    }
  }
  return undefined;
}
