import type { Isolation } from '../kinds/common';
import { sharedCellRefusals } from '../placement/placementRules';
import { entityRefName, sameEntityName } from './entityRefName';

/**
 * A Cell as the isolation rules read it: raw catalog entities and parsed ones both fit. Minimal
 * objects (tests, the frontend) may leave out the region and the capacity: then no tenant is
 * refused for its region, and the cell has no cap.
 */
export interface CellForIsolation {
  metadata: { name: string };
  spec: {
    tier: Isolation;
    tenants?: string[];
    region?: string;
    capacity?: { maxTenants?: number };
  };
}

/** A Tenant as the isolation rules read it; without region fields, no region refuses it. */
export interface TenantForIsolation {
  metadata: { name: string };
  spec: {
    cell?: string;
    homeRegion?: string;
    residency?: { pinned?: boolean; regions?: string[] };
  };
}

/** A tenant that names a shared cell the cell does not take, and why. */
export interface RefusedTenant {
  tenant: string;
  refusals: string[];
}

/** Who a cell hosts, and which tenants naming it it turns away. */
export interface CellTenancy {
  hosted: string[];
  refused: RefusedTenant[];
}

/**
 * The tenants a cell hosts. A dedicated or customer-VPC cell hosts only the tenants its own
 * entity lists: a Tenant entity naming a private cell must not make itself a guest of that
 * cell. A shared cell hosts the tenants it lists, and also those that name it (a tenant
 * onboarded into a shared cell names it, since the cell's file lives elsewhere) when the rules
 * the onboarding form applies (`sharedCellRefusals`) let them in: a hand-edited Tenant must
 * not join a full cell or one outside its region. The cell's own list counts first; the
 * tenants naming it are taken by name, so every caller agrees on who got the last places.
 */
export function cellTenancy(
  cell: CellForIsolation,
  tenants: TenantForIsolation[],
): CellTenancy {
  // Each by the name its Tenant entity has, when the catalog has it.
  const canonical = (ref: string) =>
    tenants.find(t => sameEntityName(t.metadata.name, ref))?.metadata.name ??
    entityRefName(ref);
  const hosted = new Set((cell.spec.tenants ?? []).map(canonical));
  const refused: RefusedTenant[] = [];
  if (cell.spec.tier === 'shared') {
    for (const joiner of joinersByName(cell, tenants)) {
      const name = joiner.metadata.name;
      if ([...hosted].some(h => sameEntityName(h, name))) continue;
      const refusals = joinRefusals(cell, joiner, hosted.size);
      if (refusals.length > 0) refused.push({ tenant: name, refusals });
      else hosted.add(name);
    }
  }
  return { hosted: [...hosted].sort(), refused };
}

/** The tenants a cell hosts: the `hosted` of `cellTenancy`. */
export function hostedTenants(
  cell: CellForIsolation,
  tenants: TenantForIsolation[],
): string[] {
  return cellTenancy(cell, tenants).hosted;
}

/** Tenants naming the cell, in an order independent of how the catalog returned them. */
function joinersByName(
  cell: CellForIsolation,
  tenants: TenantForIsolation[],
): TenantForIsolation[] {
  const key = (t: TenantForIsolation) =>
    t.metadata.name.toLocaleLowerCase('en-US');
  return tenants
    .filter(t => t.spec.cell && sameEntityName(t.spec.cell, cell.metadata.name))
    .sort((a, b) => Number(key(a) > key(b)) - Number(key(a) < key(b)));
}

/** The form's refusals for one more tenant, reading only the fields the objects carry. */
function joinRefusals(
  cell: CellForIsolation,
  tenant: TenantForIsolation,
  hostedSoFar: number,
): string[] {
  const region = cell.spec.region;
  return sharedCellRefusals(
    {
      name: `cell "${cell.metadata.name}"`,
      spec: {
        tier: cell.spec.tier,
        region: region ?? '',
        capacity: { maxTenants: cell.spec.capacity?.maxTenants ?? Infinity },
      },
      hostedTenants: hostedSoFar,
    },
    region === undefined ? undefined : tenant.spec.homeRegion,
    region === undefined ? undefined : tenant.spec.residency,
  );
}
