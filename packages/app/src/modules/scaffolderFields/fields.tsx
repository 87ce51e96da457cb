import { catalogApiRef } from '@backstage/plugin-catalog-react';
import {
  CustomFieldValidator,
  FieldExtensionComponentProps,
} from '@backstage/plugin-scaffolder-react';
import { createFormField } from '@backstage/plugin-scaffolder-react/alpha';
import { ISOLATION_KINDS } from '@cellport/plugin-platform-common';
import {
  agentModelProfileChoices,
  modelProfileChoices,
  OnboardingAnswers,
  sharedCellChoices,
} from './placementChoices';
import {
  MultiPlacementPicker,
  PlacementPickerSource,
  SinglePlacementPicker,
} from './PlacementPicker';

export const sharedCellSource: PlacementPickerSource = {
  // The tenants too: those naming a shared cell count against its capacity.
  filter: [{ kind: 'Cell', 'spec.tier': 'shared' }, { kind: 'Tenant' }],
  choices: sharedCellChoices,
  noneOpen:
    'No shared cell in this region has room: pick another region, or a dedicated cell.',
};

/** The profiles, and what the private-capacity rule reads to decide who may use them. */
const profilesWithIsolation = [
  { kind: 'ModelProfile' },
  { kind: ISOLATION_KINDS },
];

export const modelProfileSource: PlacementPickerSource = {
  filter: profilesWithIsolation,
  choices: modelProfileChoices,
  noneOpen:
    'No model serves inside this residency at this data classification: widen the regions or lower the classification.',
};

export const agentModelProfileSource: PlacementPickerSource = {
  filter: profilesWithIsolation,
  choices: agentModelProfileChoices,
  noneOpen:
    "None of the tenant's allowlisted models can be used: add one to the tenant's allowlist first.",
};

/**
 * Re-checks the chosen refs when the form is submitted: an answer changed after the choice
 * (another region, a stricter classification) must not slip through to the plan step.
 */
function revalidate(source: PlacementPickerSource): CustomFieldValidator<any> {
  return async (value, validation, context) => {
    const refs: string[] = [value].flat().filter(Boolean);
    if (refs.length === 0) return;
    const catalogApi = context.apiHolder.get(catalogApiRef);
    if (!catalogApi) return;
    const { items } = await catalogApi.getEntities({ filter: source.filter });
    const choices = source.choices(
      items,
      context.formData as unknown as OnboardingAnswers,
    );
    for (const ref of refs) {
      const choice = choices.find(c => c.ref === ref);
      if (!choice) validation.addError(`${ref} is not in the catalog`);
      else if (choice.refusals.length)
        validation.addError(choice.refusals.join('; '));
    }
  };
}

/** `ui:field: CellportSharedCellPicker`: shared cells in the tenant's region with room left. */
export const sharedCellPickerField = createFormField({
  name: 'CellportSharedCellPicker',
  component: (props: FieldExtensionComponentProps<string>) => (
    <SinglePlacementPicker {...props} source={sharedCellSource} />
  ),
  validation: revalidate(sharedCellSource),
});

/**
 * `ui:field: CellportModelProfilePicker`: model profiles inside the tenant's pinned residency
 * and cleared for its data classification.
 */
export const modelProfilePickerField = createFormField({
  name: 'CellportModelProfilePicker',
  component: (props: FieldExtensionComponentProps<string[]>) => (
    <MultiPlacementPicker {...props} source={modelProfileSource} />
  ),
  validation: revalidate(modelProfileSource),
});

/**
 * `ui:field: CellportAgentModelPicker`: the models on the agent's tenant's allowlist that
 * the tenant may use.
 */
export const agentModelPickerField = createFormField({
  name: 'CellportAgentModelPicker',
  component: (props: FieldExtensionComponentProps<string[]>) => (
    <MultiPlacementPicker {...props} source={agentModelProfileSource} />
  ),
  validation: revalidate(agentModelProfileSource),
});
