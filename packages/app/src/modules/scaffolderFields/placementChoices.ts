import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import {
  CellSpec,
  RELATION_HOSTS,
  Classification,
  ModelProfileSpec,
  modelProfileRefusals,
  sharedCellRefusals,
} from '@cellport/plugin-platform-common';

/** One option of a placement picker: what it is, and why it cannot be chosen, if it cannot. */
export interface PlacementChoice {
  ref: string;
  label: string;
  detail: string;
  refusals: string[];
}

/** The onboarding form's answers the pickers depend on (earlier steps of the same form). */
export interface OnboardingAnswers {
  region?: string;
  residencyPinned?: boolean;
  residencyRegions?: string[];
  dataClassification?: Classification;
}

function hostedTenants(cell: Entity): number {
  const related = new Set(
    (cell.relations ?? [])
      .filter(
        r => r.type === RELATION_HOSTS && r.targetRef.startsWith('tenant:'),
      )
      .map(r => r.targetRef),
  );
  return Math.max(
    related.size,
    (cell.spec as unknown as CellSpec).tenants?.length ?? 0,
  );
}

/** Shared cells as options: those in the home region with room first, the others refused. */
export function sharedCellChoices(
  cells: Entity[],
  answers: OnboardingAnswers,
): PlacementChoice[] {
  return cells
    .map(cell => {
      const spec = cell.spec as unknown as CellSpec;
      const hosted = hostedTenants(cell);
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

/** Model profiles as options: those inside the tenant's residency and classification first. */
export function modelProfileChoices(
  profiles: Entity[],
  answers: OnboardingAnswers,
): PlacementChoice[] {
  return profiles
    .map(profile => {
      const spec = profile.spec as unknown as ModelProfileSpec;
      return {
        ref: stringifyEntityRef(profile),
        label: profile.metadata.title ?? profile.metadata.name,
        detail: `${spec.region} · up to ${spec.maxClassification}`,
        refusals: modelProfileRefusals(
          { name: profile.metadata.name, spec },
          {
            residency: {
              pinned: answers.residencyPinned ?? false,
              regions: answers.residencyRegions,
            },
            dataClassification: answers.dataClassification ?? 'PUBLIC',
          },
        ),
      };
    })
    .sort(byAvailability);
}

function byAvailability(a: PlacementChoice, b: PlacementChoice): number {
  const open = Number(a.refusals.length > 0) - Number(b.refusals.length > 0);
  return open !== 0 ? open : a.label.localeCompare(b.label);
}
