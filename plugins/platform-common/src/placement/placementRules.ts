import type { CellSpec } from '../kinds/cell';
import { Classification, classificationAllowed } from '../kinds/common';
import type { ModelProfileSpec } from '../kinds/modelProfile';

/**
 * Where a tenant may be placed and which models it may use: one set of rules, used by the
 * onboarding template's plan step (which refuses) and by its form's pickers (which only offer
 * what the plan will accept). Each function returns why not, in words a person understands,
 * or nothing when the placement is allowed.
 */

/** A cell as placement sees it: its spec and how many tenants it hosts now. */
export interface CellForPlacement {
  name: string;
  spec: Pick<CellSpec, 'tier' | 'region'> & {
    capacity: Pick<CellSpec['capacity'], 'maxTenants'>;
  };
  hostedTenants: number;
}

/** Whether data pinned to `residency` may be served from `region`. */
export function residencyAllowsRegion(
  residency: { pinned?: boolean; regions?: string[] } | undefined,
  region: string,
): boolean {
  return !residency?.pinned || (residency.regions ?? []).includes(region);
}

/**
 * Why a shared cell cannot take one more tenant whose home is `homeRegion` and whose data
 * must stay in `residency` when it is pinned.
 */
export function sharedCellRefusals(
  cell: CellForPlacement,
  homeRegion: string | undefined,
  residency?: { pinned?: boolean; regions?: string[] },
): string[] {
  const refusals: string[] = [];
  if (cell.spec.tier !== 'shared') {
    refusals.push(`${cell.name} is a ${cell.spec.tier} cell, not a shared one`);
  }
  if (homeRegion && cell.spec.region !== homeRegion) {
    refusals.push(
      `${cell.name} is in ${cell.spec.region}, not in the tenant's region ${homeRegion}`,
    );
  }
  if (!residencyAllowsRegion(residency, cell.spec.region)) {
    refusals.push(
      `${cell.name} is in ${cell.spec.region}, outside the pinned residency ${
        residency?.regions?.join(', ') ?? ''
      }`,
    );
  }
  if (cell.hostedTenants >= cell.spec.capacity.maxTenants) {
    refusals.push(
      `${cell.name} is full (${cell.hostedTenants} of ${cell.spec.capacity.maxTenants} tenants)`,
    );
  }
  return refusals;
}

/** The tenant boundaries of seed 001 that every model it may use must respect. */
export interface TenantBoundaries {
  residency: { pinned: boolean; regions?: string[] };
  dataClassification: Classification;
}

/** Why a model profile is outside a tenant's residency or data classification. */
export function modelProfileRefusals(
  profile: {
    name: string;
    spec: Pick<ModelProfileSpec, 'region' | 'maxClassification'>;
  },
  tenant: TenantBoundaries,
): string[] {
  const refusals: string[] = [];
  const { residency, dataClassification } = tenant;
  if (!residencyAllowsRegion(residency, profile.spec.region)) {
    refusals.push(
      `${profile.name} serves from ${
        profile.spec.region
      }, outside the pinned residency ${residency.regions?.join(', ') ?? ''}`,
    );
  }
  if (
    !classificationAllowed(dataClassification, profile.spec.maxClassification)
  ) {
    refusals.push(
      `${profile.name} may receive up to ${profile.spec.maxClassification} data, the tenant sends ${dataClassification}`,
    );
  }
  return refusals;
}
