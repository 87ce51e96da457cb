import Box from '@material-ui/core/Box';
import TextField from '@material-ui/core/TextField';
import { ReactNode } from 'react';
import {
  CHANGE_KINDS,
  ChangeDraft,
  ChangeKind,
  Policy,
} from './proposedChange';
import type { ReplayChoices } from './useReplayChoices';

const POLICIES: Policy[] = ['quality', 'balanced', 'cost'];

function Picker(props: {
  id: string;
  label: string;
  value: string;
  onChange: (value: string) => void;
  children: ReactNode;
}) {
  return (
    <TextField
      select
      size="small"
      variant="outlined"
      id={props.id}
      label={props.label}
      value={props.value}
      onChange={e => props.onChange(e.target.value as string)}
      SelectProps={{ native: true }}
      style={{ minWidth: 200, marginRight: 16, marginBottom: 16 }}
    >
      {props.children}
    </TextField>
  );
}

const options = (names: string[], none: string) => [
  <option key="" value="">
    {none}
  </option>,
  ...names.map(name => (
    <option key={name} value={name}>
      {name}
    </option>
  )),
];

/** The one change a replay proposes: its kind, then what that kind needs. */
export function ProposedChangeForm(props: {
  draft: ChangeDraft;
  choices: ReplayChoices;
  onChange: (draft: ChangeDraft) => void;
}) {
  const { draft, choices } = props;
  const set = (patch: Partial<ChangeDraft>) =>
    props.onChange({ ...draft, ...patch });
  const profilePicker = (names: string[]) => (
    <Picker
      id="replay-profile"
      label="Model profile"
      value={draft.profile}
      onChange={profile => set({ profile })}
    >
      {options(names, 'Pick a profile')}
    </Picker>
  );
  const tenant = choices.tenants.find(t => t.name === draft.tenant);

  return (
    <Box display="flex" flexWrap="wrap" alignItems="flex-start">
      <Picker
        id="replay-change-kind"
        label="What if…"
        value={draft.kind}
        onChange={kind => set({ kind: kind as ChangeKind, profile: '' })}
      >
        {CHANGE_KINDS.map(k => (
          <option key={k.kind} value={k.kind}>
            {k.label}
          </option>
        ))}
      </Picker>
      {draft.kind === 'policy' && (
        <>
          <Picker
            id="replay-agent"
            label="Agent"
            value={draft.agent}
            onChange={agent => set({ agent })}
          >
            {options(
              choices.agents.map(a => a.name),
              'Pick an agent',
            )}
          </Picker>
          <Picker
            id="replay-policy"
            label="Policy"
            value={draft.policy}
            onChange={policy => set({ policy: policy as Policy })}
          >
            {POLICIES.map(p => (
              <option key={p} value={p}>
                {p}
              </option>
            ))}
          </Picker>
        </>
      )}
      {(draft.kind === 'down' || draft.kind === 'removed') &&
        profilePicker(choices.profiles.map(p => p.name))}
      {draft.kind === 'prices' && (
        <>
          {profilePicker(choices.profiles.map(p => p.name))}
          <TextField
            size="small"
            variant="outlined"
            id="replay-input-price"
            label="Input $ per million tokens"
            placeholder={priceNow(choices, draft.profile, 'input')}
            value={draft.inputPrice}
            onChange={e => set({ inputPrice: e.target.value })}
            style={{ marginRight: 16, marginBottom: 16 }}
          />
          <TextField
            size="small"
            variant="outlined"
            id="replay-output-price"
            label="Output $ per million tokens"
            placeholder={priceNow(choices, draft.profile, 'output')}
            value={draft.outputPrice}
            onChange={e => set({ outputPrice: e.target.value })}
            style={{ marginRight: 16, marginBottom: 16 }}
          />
        </>
      )}
      {draft.kind === 'allowlist' && (
        <>
          <Picker
            id="replay-tenant"
            label="Tenant"
            value={draft.tenant}
            onChange={name =>
              set({
                tenant: name,
                profile: '',
                allowlist:
                  choices.tenants.find(t => t.name === name)?.allowlist ?? [],
              })
            }
          >
            {options(
              choices.tenants.map(t => t.name),
              'Pick a tenant',
            )}
          </Picker>
          {profilePicker(tenant?.allowlist ?? [])}
        </>
      )}
    </Box>
  );
}

/** The profile's price now, as the field's placeholder: what leaving it empty keeps. */
function priceNow(
  choices: ReplayChoices,
  profile: string,
  side: 'input' | 'output',
): string | undefined {
  const found = choices.profiles.find(p => p.name === profile);
  const value =
    side === 'input' ? found?.inputPerMillionUsd : found?.outputPerMillionUsd;
  return value === undefined ? undefined : `now ${value}`;
}
