import { Entity } from '@backstage/catalog-model';
import { useApi } from '@backstage/core-plugin-api';
import { catalogApiRef } from '@backstage/plugin-catalog-react';
import { FieldExtensionComponentProps } from '@backstage/plugin-scaffolder-react';
import FormControl from '@material-ui/core/FormControl';
import FormHelperText from '@material-ui/core/FormHelperText';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import Autocomplete from '@material-ui/lab/Autocomplete';
import useAsync from 'react-use/esm/useAsync';
import { OnboardingAnswers, PlacementChoice } from './placementChoices';

/** What a placement picker lists and how it turns catalog entities into choices. */
type EntityFilter = Record<string, string | string[]>;

export interface PlacementPickerSource {
  /** The catalog query; a list of filters matches entities that any of them matches. */
  filter: EntityFilter | EntityFilter[];
  choices(entities: Entity[], answers: OnboardingAnswers): PlacementChoice[];
  /** Said under the field when nothing can be chosen with the answers so far. */
  noneOpen: string;
}

function answersOf(formContext: unknown): OnboardingAnswers {
  return ((formContext as { formData?: OnboardingAnswers } | undefined)
    ?.formData ?? {}) as OnboardingAnswers;
}

/** Loads the choices, given the answers of the form's earlier steps. */
function useChoices(source: PlacementPickerSource, formContext: unknown) {
  const catalogApi = useApi(catalogApiRef);
  const { value, loading, error } = useAsync(
    async () => (await catalogApi.getEntities({ filter: source.filter })).items,
    [catalogApi],
  );
  const choices = value ? source.choices(value, answersOf(formContext)) : [];
  return { choices, loading, error };
}

function ChoiceOption({ choice }: { choice: PlacementChoice }) {
  return (
    <div>
      <Typography variant="body1">{choice.label}</Typography>
      <Typography variant="caption" color="textSecondary">
        {choice.refusals.length ? choice.refusals.join('; ') : choice.detail}
      </Typography>
    </div>
  );
}

function helperText(
  description: string | undefined,
  loadError: Error | undefined,
  choices: PlacementChoice[],
  source: PlacementPickerSource,
  loading: boolean,
) {
  if (loadError) {
    return `Could not load the catalog (${loadError.message}); reload the page to try again.`;
  }
  if (!loading && !choices.some(c => c.refusals.length === 0)) {
    return source.noneOpen;
  }
  return description;
}

/** One choice among the entities the tenant may be placed in or use. */
export function SinglePlacementPicker(
  props: FieldExtensionComponentProps<string> & {
    source: PlacementPickerSource;
  },
) {
  const { source, formData, onChange, schema, required, rawErrors } = props;
  const { choices, loading, error } = useChoices(source, props.formContext);
  const selected = choices.find(c => c.ref === formData) ?? null;
  return (
    <FormControl
      margin="normal"
      required={required}
      error={!!rawErrors?.length}
      fullWidth
    >
      <Autocomplete
        options={choices}
        value={selected}
        loading={loading}
        getOptionLabel={choice => choice.label}
        getOptionDisabled={choice => choice.refusals.length > 0}
        getOptionSelected={(a, b) => a.ref === b.ref}
        renderOption={choice => <ChoiceOption choice={choice} />}
        onChange={(_event, choice) => onChange(choice?.ref)}
        renderInput={params => (
          <TextField
            {...params}
            label={schema.title}
            required={required}
            variant="outlined"
          />
        )}
      />
      <FormHelperText>
        {helperText(schema.description, error, choices, source, loading)}
      </FormHelperText>
    </FormControl>
  );
}

/** Several choices among the entities the tenant may use. */
export function MultiPlacementPicker(
  props: FieldExtensionComponentProps<string[]> & {
    source: PlacementPickerSource;
  },
) {
  const { source, formData, onChange, schema, required, rawErrors } = props;
  const { choices, loading, error } = useChoices(source, props.formContext);
  // In the order chosen: an agent's preferred models and fallbacks are ordered lists.
  const selected = (formData ?? []).flatMap(ref =>
    choices.filter(c => c.ref === ref),
  );
  return (
    <FormControl
      margin="normal"
      required={required}
      error={!!rawErrors?.length}
      fullWidth
    >
      <Autocomplete
        multiple
        options={choices}
        value={selected}
        loading={loading}
        getOptionLabel={choice => choice.label}
        getOptionDisabled={choice => choice.refusals.length > 0}
        getOptionSelected={(a, b) => a.ref === b.ref}
        renderOption={choice => <ChoiceOption choice={choice} />}
        onChange={(_event, chosen) => onChange(chosen.map(c => c.ref))}
        renderInput={params => (
          <TextField
            {...params}
            label={schema.title}
            // The chips are the value; the text box only searches, so once something is
            // chosen the browser must not ask for it to be filled.
            required={required && selected.length === 0}
            variant="outlined"
          />
        )}
      />
      <FormHelperText>
        {helperText(schema.description, error, choices, source, loading)}
      </FormHelperText>
    </FormControl>
  );
}
