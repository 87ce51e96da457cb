import { Entity } from '@backstage/catalog-model';
import {
  CellSpec,
  IsolationCatalog,
  ModelProfileSpec,
  modelProfileRefusals,
  privateModelRefusal,
  ProfileForIsolation,
  sharedCellRefusals,
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
  return sharedCellRefusals(
    {
      name: cell.metadata.name,
      spec: cell.spec as unknown as CellSpec,
      hostedTenants: hostedTenantCount(cell),
    },
    tenant.spec.homeRegion,
  ).map(refusal => `cell: ${refusal}`);
}

/**
 * Why allowlisted model profiles break the tenant's boundaries (seed 001): outside its pinned
 * residency, not cleared for its data classification, or private capacity of another
 * tenant's cell.
 */
export function allowlistProblems(
  tenant: TenantEntity,
  profiles: Array<Entity | undefined>,
  isolation: IsolationCatalog,
): string[] {
  return tenant.spec.modelAllowlist.flatMap((ref, index) => {
    const profile = profiles[index];
    const field = `modelAllowlist[${index}]`;
    if (!profile || profile.kind !== 'ModelProfile') {
      return [`${field}: no ModelProfile "${ref}" in the catalog`];
    }
    const privateRefusal = privateModelRefusal(
      tenant.metadata.name,
      profile as unknown as ProfileForIsolation,
      isolation,
    );
    return [
      ...modelProfileRefusals(
        {
          name: profile.metadata.name,
          spec: profile.spec as unknown as ModelProfileSpec,
        },
        tenant.spec,
      ),
      ...(privateRefusal ? [privateRefusal] : []),
    ].map(refusal => `${field}: ${refusal}`);
  });
}
