import {
  dropReasonSchema,
  outcomeSchema,
} from '@cellport/plugin-platform-common';
import Box from '@material-ui/core/Box';
import TextField from '@material-ui/core/TextField';
import { useDecisionFilters } from './useDecisionFilters';

const ANY = '';

function Select(props: {
  label: string;
  value: string;
  options: string[];
  onChange: (value: string | undefined) => void;
}) {
  return (
    <TextField
      select
      size="small"
      variant="outlined"
      label={props.label}
      value={props.value}
      onChange={e => props.onChange(e.target.value || undefined)}
      style={{ minWidth: 160, marginRight: 8, marginBottom: 8 }}
      id={`decision-filter-${props.label.replace(/\W+/g, '-').toLowerCase()}`}
      SelectProps={{ native: true }}
      // "any" is a value: keep the label above it instead of over it.
      InputLabelProps={{ shrink: true }}
    >
      <option value={ANY}>any</option>
      {props.options.map(o => (
        <option key={o} value={o}>
          {o}
        </option>
      ))}
    </TextField>
  );
}

/** The explorer's filters: outcome, fallback, drop reason and model. */
export function DecisionFilterBar() {
  const { filters, setFilter } = useDecisionFilters();
  return (
    <Box display="flex" flexWrap="wrap" alignItems="center" mb={1}>
      <Select
        label="Outcome"
        value={filters.outcome ?? ANY}
        options={outcomeSchema.options}
        onChange={v => setFilter('outcome', v)}
      />
      <Select
        label="Fell back"
        value={filters.fellBack === undefined ? ANY : String(filters.fellBack)}
        options={['true', 'false']}
        onChange={v => setFilter('fellBack', v)}
      />
      <Select
        label="Dropped a candidate for"
        value={filters.droppedFor ?? ANY}
        options={dropReasonSchema.options}
        onChange={v => setFilter('droppedFor', v)}
      />
      <TextField
        size="small"
        variant="outlined"
        id="decision-filter-model"
        label="Model"
        placeholder="asked for or chosen"
        defaultValue={filters.model ?? ''}
        onBlur={e => setFilter('model', e.target.value.trim() || undefined)}
        onKeyDown={e => {
          if (e.key === 'Enter')
            setFilter(
              'model',
              (e.target as HTMLInputElement).value.trim() || undefined,
            );
        }}
        style={{ marginBottom: 8 }}
      />
    </Box>
  );
}
