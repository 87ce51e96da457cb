import { Entity } from '@backstage/catalog-model';
import {
  CellSpec,
  classificationAllowed,
  ModelProfileSpec,
  TenantEntity,
} from '@cellport/plugin-platform-common';

/** How many tenants a cell hosts: those it lists and those that name it (both `hosts`). */
export function hostedTenantCount(cell: Entity): number {
  const related = new Set(
    (cell.relations ?? [])
      .filter(r => r.type === 'hosts' && r.targetRef.startsWith('tenant:'))
      .map(r => r.targetRef),
  );
  return Math.max(
    related.size,
    (cell.spec as unknown as CellSpec).tenants?.length ?? 0,
  );
}

/** Why a shared cell cannot take the tenant, or nothing when it can. */
export function sharedCellProblems(
  tenant: TenantEntity,
  cell: Entity,
): string[] {
  const spec = cell.spec as unknown as CellSpec;
  const problems: string[] = [];
  if (spec.tier !== 'shared') {
    problems.push(
      `cell: ${cell.metadata.name} is a ${spec.tier} cell, not a shared one`,
    );
  }
  if (spec.region !== tenant.spec.homeRegion) {
    problems.push(
      `cell: ${cell.metadata.name} is in ${spec.region}, not in the tenant's region ${tenant.spec.homeRegion}`,
    );
  }
  const hosted = hostedTenantCount(cell);
  if (hosted >= spec.capacity.maxTenants) {
    problems.push(
      `cell: ${cell.metadata.name} is full (${hosted} of ${spec.capacity.maxTenants} tenants)`,
    );
  }
  return problems;
}

/**
 * Why allowlisted model profiles break the tenant's boundaries (seed 001): outside its pinned
 * residency, or not cleared for its data classification.
 */
export function allowlistProblems(
  tenant: TenantEntity,
  profiles: Array<Entity | undefined>,
): string[] {
  const problems: string[] = [];
  tenant.spec.modelAllowlist.forEach((ref, index) => {
    const profile = profiles[index];
    const field = `modelAllowlist[${index}]`;
    if (!profile || profile.kind !== 'ModelProfile') {
      problems.push(`${field}: no ModelProfile "${ref}" in the catalog`);
      return;
    }
    const spec = profile.spec as unknown as ModelProfileSpec;
    const { residency, dataClassification } = tenant.spec;
    if (residency.pinned && !residency.regions?.includes(spec.region)) {
      problems.push(
        `${field}: ${profile.metadata.name} serves from ${
          spec.region
        }, outside the pinned residency ${residency.regions?.join(', ')}`,
      );
    }
    if (!classificationAllowed(dataClassification, spec.maxClassification)) {
      problems.push(
        `${field}: ${profile.metadata.name} may receive up to ${spec.maxClassification} data, the tenant sends ${dataClassification}`,
      );
    }
  });
  return problems;
}
