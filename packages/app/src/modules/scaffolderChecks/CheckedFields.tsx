import { useApi } from '@backstage/core-plugin-api';
import { catalogApiRef } from '@backstage/plugin-catalog-react';
import { FieldExtensionComponentProps } from '@backstage/plugin-scaffolder-react';
import TextField from '@material-ui/core/TextField';
import useAsync from 'react-use/esm/useAsync';
import {
  GPU_POOL_FILTER,
  InferenceAnswers,
  inferenceCheck,
  InferenceCheckKind,
} from './inferenceChecks';

export interface InferenceNumberOptions {
  /** The plan step's check this field's answer completes. */
  check?: InferenceCheckKind;
}

function answersOf(formContext: unknown): InferenceAnswers {
  return ((formContext as { formData?: InferenceAnswers } | undefined)
    ?.formData ?? {}) as InferenceAnswers;
}

/** A whole number as typed; empty is no answer. */
function parseCount(text: string): number | undefined {
  return text.trim() === '' ? undefined : Number(text);
}

/**
 * A number of the inference form with the plan step's check under it, live: the GPU fit,
 * the model's context length or the cell's GPU pool, so a refusal shows while it can be fixed.
 */
export function InferenceNumberField(
  props: FieldExtensionComponentProps<number, InferenceNumberOptions>,
) {
  const { formData, onChange, schema, required, rawErrors, uiSchema, name } =
    props;
  const id = props.idSchema?.$id ?? name;
  const kind = uiSchema?.['ui:options']?.check;
  const catalogApi = useApi(catalogApiRef);
  const { value: entities } = useAsync(
    async () =>
      kind === 'gpuPool'
        ? (await catalogApi.getEntities({ filter: GPU_POOL_FILTER })).items
        : [],
    [catalogApi, kind],
  );
  const answers = { ...answersOf(props.formContext), [name]: formData };
  const check =
    kind && (kind !== 'gpuPool' || entities)
      ? inferenceCheck(kind, answers, entities)
      : undefined;
  return (
    <TextField
      id={id}
      type="number"
      label={schema.title}
      required={required}
      value={formData ?? ''}
      onChange={event => onChange(parseCount(event.target.value))}
      inputProps={{ min: schema.minimum, max: schema.maximum, step: 1 }}
      error={!!rawErrors?.length || !!check?.refused}
      helperText={check?.message ?? schema.description}
      variant="outlined"
      margin="normal"
      fullWidth
    />
  );
}

/** A name for a new entity; the form checks, before Create, that the catalog has none by it. */
export function UniqueNameField(props: FieldExtensionComponentProps<string>) {
  const { formData, onChange, schema, required, rawErrors, uiSchema } = props;
  return (
    <TextField
      id={props.idSchema?.$id ?? props.name}
      label={schema.title}
      required={required}
      value={formData ?? ''}
      onChange={event => onChange(event.target.value || undefined)}
      inputProps={{ maxLength: schema.maxLength }}
      // Only where the template asks for it (`ui:autofocus`), as RJSF's own inputs do.
      // eslint-disable-next-line jsx-a11y/no-autofocus
      autoFocus={Boolean(uiSchema?.['ui:autofocus'])}
      error={!!rawErrors?.length}
      helperText={schema.description}
      variant="outlined"
      margin="normal"
      fullWidth
    />
  );
}
