import { Entity } from '@backstage/catalog-model';
import {
  CellForIsolation,
  entityRefName,
  hostedTenants,
  TenantForIsolation,
} from '@cellport/plugin-platform-common';

/**
 * The cells whose gateways may route to a model profile: those hosting a tenant whose
 * allowlist names it (the same hosting rule the reconciler applies), by name.
 */
export function cellsUsingProfile(
  profile: string,
  cells: Entity[],
  tenants: Entity[],
): string[] {
  const allowing = new Set(
    tenants
      .filter(t =>
        (((t.spec ?? {}) as { modelAllowlist?: string[] }).modelAllowlist ?? [])
          .map(entityRefName)
          .includes(profile),
      )
      .map(t => t.metadata.name),
  );
  return cells
    .filter(cell =>
      hostedTenants(
        cell as unknown as CellForIsolation,
        tenants as unknown as TenantForIsolation[],
      ).some(tenant => allowing.has(tenant)),
    )
    .map(cell => cell.metadata.name)
    .sort();
}
