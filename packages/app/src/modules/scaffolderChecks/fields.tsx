import { catalogApiRef } from '@backstage/plugin-catalog-react';
import { CustomFieldValidator } from '@backstage/plugin-scaffolder-react';
import { createFormField } from '@backstage/plugin-scaffolder-react/alpha';
import { InferenceNumberField, UniqueNameField } from './CheckedFields';
import {
  GPU_POOL_FILTER,
  InferenceAnswers,
  inferenceCheck,
  InferenceCheckKind,
} from './inferenceChecks';
import { nameTakenMessage } from './uniqueName';

/** `ui:options.kinds` of a unique-name field: the kinds the template registers under it. */
export const validateUniqueName: CustomFieldValidator<string> = async (
  value,
  validation,
  context,
) => {
  const kinds: string[] =
    (context.uiSchema?.['ui:options'] as any)?.kinds ?? [];
  const catalogApi = context.apiHolder.get(catalogApiRef);
  if (!value || !catalogApi || kinds.length === 0) return;
  const taken = await nameTakenMessage(catalogApi, kinds, value);
  if (taken) validation.addError(taken);
};

/** Runs the field's plan check on every answer of the form when a page is submitted. */
export const validateInferenceNumber: CustomFieldValidator<number> = async (
  _value,
  validation,
  context,
) => {
  const kind = (context.uiSchema?.['ui:options'] as any)?.check as
    | InferenceCheckKind
    | undefined;
  if (!kind) return;
  const catalogApi = context.apiHolder.get(catalogApiRef);
  const entities =
    kind === 'gpuPool' && catalogApi
      ? (await catalogApi.getEntities({ filter: GPU_POOL_FILTER })).items
      : [];
  const check = inferenceCheck(
    kind,
    context.formData as unknown as InferenceAnswers,
    entities,
  );
  if (check?.refused) validation.addError(check.message);
};

/** `ui:field: CellportUniqueName` with `ui:options.kinds`: a name no entity of those kinds has. */
export const uniqueNameField = createFormField({
  name: 'CellportUniqueName',
  component: UniqueNameField,
  validation: validateUniqueName,
});

/**
 * `ui:field: CellportInferenceNumber` with `ui:options.check` (`gpuFit`, `contextLength` or
 * `gpuPool`): a number of the inference form whose plan check runs in the form.
 */
export const inferenceNumberField = createFormField({
  name: 'CellportInferenceNumber',
  component: InferenceNumberField,
  validation: validateInferenceNumber,
});
