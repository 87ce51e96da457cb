import type { Isolation } from '../kinds/common';
import {
  residencyAllowsRegion,
  sharedCellRefusals,
} from '../placement/placementRules';
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

/**
 * The tenants a cell hosts. A dedicated or customer-VPC cell hosts only the tenants its own
 * entity lists: a Tenant entity naming a private cell must not make itself a guest of that
 * cell. A shared cell hosts the tenants it lists, and also those that name it (a tenant
 * onboarded into a shared cell names it, since the cell's file lives elsewhere) unless their
 * residency is pinned away from the cell's region: their data must not go there. Room and home
 * region are decided when a tenant joins (`joinRefusals`), not here: a tenant in place never
 * loses its place, and its namespace, to one written in later or to a cell edited smaller.
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
      if (namesCell(tenant, cell) && residencyAllows(cell, tenant)) {
        hosted.add(tenant.metadata.name);
      }
    }
  }
  return [...hosted].sort();
}

/**
 * Why a shared cell named by `tenant`, as it is written now, does not take it: the onboarding
 * form's rules (`sharedCellRefusals`: room, home region, pinned residency), for a Tenant
 * written by hand, against the tenants in the catalog. A tenant the catalog already has in
 * the cell needs no room. None for a tenant the cell lists itself, or a cell not shared.
 */
export function joinRefusals(
  cell: CellForIsolation,
  tenant: TenantForIsolation,
  catalogTenants: TenantForIsolation[],
): string[] {
  const name = tenant.metadata.name;
  const listed = (cell.spec.tenants ?? []).some(ref =>
    sameEntityName(entityRefName(ref), name),
  );
  if (listed || cell.spec.tier !== 'shared') return [];
  const stored = catalogTenants.find(t =>
    sameEntityName(t.metadata.name, name),
  );
  const inPlace =
    stored !== undefined &&
    namesCell(stored, cell) &&
    residencyAllows(cell, stored);
  const others = catalogTenants.filter(t => t !== stored);
  const region = cell.spec.region;
  return sharedCellRefusals(
    {
      name: `cell "${cell.metadata.name}"`,
      spec: {
        tier: cell.spec.tier,
        region: region ?? '',
        capacity: {
          maxTenants: inPlace
            ? Infinity
            : cell.spec.capacity?.maxTenants ?? Infinity,
        },
      },
      hostedTenants: hostedTenants(cell, others).length,
    },
    region === undefined ? undefined : tenant.spec.homeRegion,
    region === undefined ? undefined : tenant.spec.residency,
  );
}

function namesCell(
  tenant: TenantForIsolation,
  cell: CellForIsolation,
): boolean {
  return (
    tenant.spec.cell !== undefined &&
    sameEntityName(tenant.spec.cell, cell.metadata.name)
  );
}

function residencyAllows(
  cell: CellForIsolation,
  tenant: TenantForIsolation,
): boolean {
  const { region } = cell.spec;
  return (
    region === undefined || residencyAllowsRegion(tenant.spec.residency, region)
  );
}
