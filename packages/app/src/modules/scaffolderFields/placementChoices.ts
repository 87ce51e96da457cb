import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import {
  CellSpec,
  Classification,
  entityRefName,
  hostedTenants,
  isolationCatalogOf,
  ModelProfileSpec,
  modelProfileRefusals,
  privateModelRefusal,
  ProfileForIsolation,
  sharedCellRefusals,
  TenantSpec,
} from '@cellport/plugin-platform-common';

/** One option of a placement picker: what it is, and why it cannot be chosen, if it cannot. */
export interface PlacementChoice {
  ref: string;
  label: string;
  detail: string;
  refusals: string[];
}

/** The form's answers the pickers depend on (earlier steps of the same form). */
export interface OnboardingAnswers {
  /** The tenant being onboarded (tenant form). */
  name?: string;
  /** The tenant an agent is registered for (agent form). */
  tenant?: string;
  region?: string;
  residencyPinned?: boolean;
  residencyRegions?: string[];
  dataClassification?: Classification;
}

/**
 * Shared cells as options: those in the home region with room first, the others refused.
 * `entities` holds the cells and the tenants that may name them.
 */
export function sharedCellChoices(
  entities: Entity[],
  answers: OnboardingAnswers,
): PlacementChoice[] {
  const isolation = isolationCatalogOf(entities);
  return entities
    .filter(e => e.kind === 'Cell')
    .map(cell => {
      const spec = cell.spec as unknown as CellSpec;
      const hosted = hostedTenants(
        { metadata: cell.metadata, spec },
        isolation.tenants,
      ).length;
      return {
        ref: stringifyEntityRef(cell),
        label: cell.metadata.title ?? cell.metadata.name,
        detail: `${spec.region} · ${hosted} of ${spec.capacity.maxTenants} tenants`,
        refusals: sharedCellRefusals(
          { name: cell.metadata.name, spec, hostedTenants: hosted },
          answers.region,
        ),
      };
    })
    .sort(byAvailability);
}

/**
 * Model profiles as options for a new tenant: those inside its residency and classification,
 * and not private capacity of another tenant's cell, first. `entities` holds the profiles and
 * the cells, tenants and inference deployments the private-capacity rule reads.
 */
export function modelProfileChoices(
  entities: Entity[],
  answers: OnboardingAnswers,
): PlacementChoice[] {
  const isolation = isolationCatalogOf(entities);
  const tenant = answers.name || 'new-tenant';
  return profilesOf(entities)
    .map(profile => {
      const spec = profile.spec as unknown as ModelProfileSpec;
      const privateRefusal = privateModelRefusal(
        tenant,
        profile as unknown as ProfileForIsolation,
        isolation,
      );
      return {
        ...profileChoice(profile),
        refusals: [
          ...modelProfileRefusals(
            { name: profile.metadata.name, spec },
            {
              residency: {
                pinned: answers.residencyPinned ?? false,
                regions: answers.residencyRegions,
              },
              dataClassification: answers.dataClassification ?? 'PUBLIC',
            },
          ),
          ...(privateRefusal ? [privateRefusal] : []),
        ],
      };
    })
    .sort(byAvailability);
}

/**
 * Model profiles as options for an agent: those on its tenant's allowlist that the tenant may
 * use (a hand-edited allowlist can name another tenant's private model) first.
 */
export function agentModelProfileChoices(
  entities: Entity[],
  answers: OnboardingAnswers,
): PlacementChoice[] {
  const isolation = isolationCatalogOf(entities);
  const tenantName = answers.tenant ? entityRefName(answers.tenant) : undefined;
  const tenant = entities.find(
    e => e.kind === 'Tenant' && e.metadata.name === tenantName,
  );
  const allowlist = (
    (tenant?.spec as unknown as TenantSpec | undefined)?.modelAllowlist ?? []
  ).map(entityRefName);
  return profilesOf(entities)
    .map(profile => {
      const name = profile.metadata.name;
      const refusals: string[] = [];
      if (!tenant) refusals.push('choose the tenant first');
      else if (!allowlist.includes(name)) {
        refusals.push(
          `${name} is not on ${tenant.metadata.name}'s model allowlist`,
        );
      } else {
        const refusal = privateModelRefusal(
          tenant.metadata.name,
          profile as unknown as ProfileForIsolation,
          isolation,
        );
        if (refusal) refusals.push(refusal);
      }
      return { ...profileChoice(profile), refusals };
    })
    .sort(byAvailability);
}

function profilesOf(entities: Entity[]): Entity[] {
  return entities.filter(e => e.kind === 'ModelProfile');
}

function profileChoice(profile: Entity): Omit<PlacementChoice, 'refusals'> {
  const spec = profile.spec as unknown as ModelProfileSpec;
  return {
    ref: stringifyEntityRef(profile),
    label: profile.metadata.title ?? profile.metadata.name,
    detail: `${spec.region} · up to ${spec.maxClassification}`,
  };
}

function byAvailability(a: PlacementChoice, b: PlacementChoice): number {
  const open = Number(a.refusals.length > 0) - Number(b.refusals.length > 0);
  return open !== 0 ? open : a.label.localeCompare(b.label);
}
