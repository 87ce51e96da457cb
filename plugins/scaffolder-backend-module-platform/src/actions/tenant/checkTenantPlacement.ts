import { Entity } from '@backstage/catalog-model';
import {
  CellSpec,
  hostedTenants,
  IsolationCatalog,
  ModelProfileSpec,
  modelProfileRefusals,
  privateModelRefusal,
  ProfileForIsolation,
  sharedCellRefusals,
  TenantEntity,
} from '@cellport/plugin-platform-common';

/** Why a shared cell cannot take the tenant, or nothing when it can. */
export function sharedCellProblems(
  tenant: TenantEntity,
  cell: Entity,
  isolation: IsolationCatalog,
): string[] {
  const spec = cell.spec as unknown as CellSpec;
  return sharedCellRefusals(
    {
      name: cell.metadata.name,
      spec,
      hostedTenants: hostedTenants(
        { metadata: cell.metadata, spec },
        isolation.tenants,
      ).length,
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
