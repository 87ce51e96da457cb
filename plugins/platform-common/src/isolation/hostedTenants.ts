import type { Isolation } from '../kinds/common';
import { entityRefName, sameEntityName } from './entityRefName';

/** A Cell as the isolation rules read it: raw catalog entities and parsed ones both fit. */
export interface CellForIsolation {
  metadata: { name: string };
  spec: { tier: Isolation; tenants?: string[] };
}

/** A Tenant as the isolation rules read it. */
export interface TenantForIsolation {
  metadata: { name: string };
  spec: { cell?: string };
}

/**
 * The tenants a cell hosts. A shared cell hosts the tenants it lists and those that name it
 * (a tenant onboarded into a shared cell names it, since the cell's file lives elsewhere). A
 * dedicated or customer-VPC cell hosts only the tenants its own entity lists: a Tenant entity
 * naming a private cell must not make itself a guest of that cell.
 */
export function hostedTenants(
  cell: CellForIsolation,
  tenants: TenantForIsolation[],
): string[] {
  // Each by the name its Tenant entity has, when the catalog has it.
  const canonical = (ref: string) =>
    tenants.find(t => sameEntityName(t.metadata.name, ref))?.metadata.name ??
    entityRefName(ref);
  const hosted = new Set((cell.spec.tenants ?? []).map(canonical));
  if (cell.spec.tier === 'shared') {
    for (const tenant of tenants) {
      if (
        tenant.spec.cell &&
        sameEntityName(tenant.spec.cell, cell.metadata.name)
      ) {
        hosted.add(tenant.metadata.name);
      }
    }
  }
  return [...hosted].sort();
}
