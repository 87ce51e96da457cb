import { entityRefName, sameEntityName } from './entityRefName';
import {
  CellForIsolation,
  hostedTenants,
  TenantForIsolation,
} from './hostedTenants';

/** An InferenceDeployment as the isolation rules read it. */
export interface DeploymentForIsolation {
  metadata: { name: string };
  spec: { cell: string; modelProfile: string };
}

/** A ModelProfile as the isolation rules read it. */
export interface ProfileForIsolation {
  metadata: { name: string };
  spec: { sharing?: { allTenants?: boolean; tenants?: string[] } };
}

/** The part of the catalog the private-capacity rule reads. */
export interface IsolationCatalog {
  cells: CellForIsolation[];
  tenants: TenantForIsolation[];
  inferenceDeployments: DeploymentForIsolation[];
}

/**
 * Why `tenant` may not use `profile`, or undefined when it may (seeds 000/001: stateful and
 * regulated capacity is isolated per tenant).
 *
 * A profile provided by an InferenceDeployment in a dedicated or customer-VPC cell is private
 * to the tenants that cell hosts, unless the profile's `spec.sharing` names the tenant or
 * opens it to all tenants. A deployment whose cell is not in the catalog counts as private to
 * nobody: the rule fails closed. Profiles no private deployment provides (hosted APIs, or
 * capacity in shared cells) are not private; residency and classification still apply to
 * them (`modelProfileRefusals`).
 *
 * The form's picker, the plan steps, the catalog processor and the reconciler all call this,
 * so a hand-written entity cannot get around the form.
 */
export function privateModelRefusal(
  tenant: string,
  profile: ProfileForIsolation,
  catalog: IsolationCatalog,
): string | undefined {
  const tenantName = entityRefName(tenant);
  const profileName = profile.metadata.name;
  const sharing = profile.spec.sharing;
  if (sharing?.allTenants) return undefined;
  if ((sharing?.tenants ?? []).some(t => sameEntityName(t, tenantName))) {
    return undefined;
  }
  const owners: string[] = [];
  for (const deployment of catalog.inferenceDeployments) {
    if (!sameEntityName(deployment.spec.modelProfile, profileName)) continue;
    const cellName = entityRefName(deployment.spec.cell);
    const cell = catalog.cells.find(c =>
      sameEntityName(c.metadata.name, cellName),
    );
    if (cell?.spec.tier === 'shared') continue;
    const hosted = cell ? hostedTenants(cell, catalog.tenants) : [];
    if (hosted.some(h => sameEntityName(h, tenantName))) return undefined;
    owners.push(
      cell
        ? `the ${cell.spec.tier} cell "${cellName}" (tenants: ${
            hosted.join(', ') || 'none'
          })`
        : `the cell "${cellName}", which is not in the catalog`,
    );
  }
  if (owners.length === 0) return undefined;
  return `${profileName} is private capacity of ${owners.join(
    ' and ',
  )}; tenant "${tenantName}" is not hosted there and the profile is not shared with it`;
}

/** Kinds whose entities `isolationCatalogOf` reads; query the catalog for these. */
export const ISOLATION_KINDS = ['Cell', 'Tenant', 'InferenceDeployment'];

interface AnyEntity {
  kind: string;
  metadata: { name: string };
  spec?: unknown;
}

/**
 * The isolation catalog from raw catalog entities, as the form, the plan steps and the
 * catalog processor get them. Entities too malformed to read are left out: the catalog
 * refuses them (their kind's schema requires these fields), so they serve nothing.
 */
export function isolationCatalogOf(entities: AnyEntity[]): IsolationCatalog {
  const catalog: IsolationCatalog = {
    cells: [],
    tenants: [],
    inferenceDeployments: [],
  };
  for (const entity of entities) {
    const spec = (entity.spec ?? {}) as Record<string, unknown>;
    const metadata = { name: entity.metadata.name };
    if (entity.kind === 'Cell' && typeof spec.tier === 'string') {
      const tenants = Array.isArray(spec.tenants)
        ? spec.tenants.filter((t): t is string => typeof t === 'string')
        : [];
      // Region and capacity too: who a shared cell takes depends on them (`hostedTenants`, `joinRefusals`).
      const maxTenants = (spec.capacity as { maxTenants?: unknown } | undefined)
        ?.maxTenants;
      catalog.cells.push({
        metadata,
        spec: {
          tier: spec.tier as CellForIsolation['spec']['tier'],
          tenants,
          ...(typeof spec.region === 'string' ? { region: spec.region } : {}),
          ...(typeof maxTenants === 'number'
            ? { capacity: { maxTenants } }
            : {}),
        },
      });
    } else if (entity.kind === 'Tenant') {
      catalog.tenants.push({ metadata, spec: tenantPlacement(spec) });
    } else if (entity.kind === 'InferenceDeployment') {
      if (
        typeof spec.cell !== 'string' ||
        typeof spec.modelProfile !== 'string'
      )
        continue;
      catalog.inferenceDeployments.push({
        metadata,
        spec: { cell: spec.cell, modelProfile: spec.modelProfile },
      });
    }
  }
  return catalog;
}

/** The fields of a raw Tenant's spec that say which cell it names and where it may be. */
function tenantPlacement(
  spec: Record<string, unknown>,
): TenantForIsolation['spec'] {
  const residency = spec.residency as
    | { pinned?: unknown; regions?: unknown }
    | undefined;
  return {
    ...(typeof spec.cell === 'string' ? { cell: spec.cell } : {}),
    ...(typeof spec.homeRegion === 'string'
      ? { homeRegion: spec.homeRegion }
      : {}),
    ...(typeof residency?.pinned === 'boolean'
      ? {
          residency: {
            pinned: residency.pinned,
            regions: Array.isArray(residency.regions)
              ? residency.regions.filter(
                  (r): r is string => typeof r === 'string',
                )
              : [],
          },
        }
      : {}),
  };
}
