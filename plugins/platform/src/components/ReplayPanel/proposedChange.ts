import type { ProposedChange } from '../../api';

/** The changes the "What if…" panel proposes, one at a time. */
export type ChangeKind = 'policy' | 'down' | 'removed' | 'prices' | 'allowlist';

export const CHANGE_KINDS: Array<{ kind: ChangeKind; label: string }> = [
  { kind: 'policy', label: "An agent's routing policy" },
  { kind: 'down', label: 'A model profile down (an outage)' },
  { kind: 'removed', label: 'A model profile removed' },
  { kind: 'prices', label: "A model profile's prices" },
  { kind: 'allowlist', label: "A model taken off a tenant's allowlist" },
];

export type Policy = 'quality' | 'balanced' | 'cost';

/** What the form holds; fields a kind does not use are ignored. */
export interface ChangeDraft {
  kind: ChangeKind;
  agent: string;
  policy: Policy;
  profile: string;
  /** Dollars per million tokens, as typed. */
  inputPrice: string;
  outputPrice: string;
  tenant: string;
  /** The tenant's allowlist now, to propose it without `profile`. */
  allowlist: string[];
}

/**
 * The draft as the API's proposed change, or the first thing missing from it, said as the
 * form's label says it.
 */
export function toProposedChange(
  draft: ChangeDraft,
): { change: ProposedChange } | { missing: string } {
  switch (draft.kind) {
    case 'policy':
      if (!draft.agent) return { missing: 'Pick an agent' };
      return {
        change: { agents: { [draft.agent]: { policy: draft.policy } } },
      };
    case 'down':
    case 'removed':
      if (!draft.profile) return { missing: 'Pick a model profile' };
      return {
        change: { modelProfiles: { [draft.profile]: { [draft.kind]: true } } },
      };
    case 'prices': {
      if (!draft.profile) return { missing: 'Pick a model profile' };
      const input = price(draft.inputPrice);
      const output = price(draft.outputPrice);
      if (input === null || output === null) {
        return { missing: 'Prices are dollars per million tokens, 0 or more' };
      }
      if (input === undefined && output === undefined) {
        return { missing: 'Enter an input or an output price' };
      }
      return {
        change: {
          modelProfiles: {
            [draft.profile]: {
              ...(input !== undefined ? { inputPerMillionUsd: input } : {}),
              ...(output !== undefined ? { outputPerMillionUsd: output } : {}),
            },
          },
        },
      };
    }
    default:
      if (!draft.tenant) return { missing: 'Pick a tenant' };
      if (!draft.profile) return { missing: 'Pick a model profile' };
      return {
        change: {
          tenants: {
            [draft.tenant]: {
              allowedModels: draft.allowlist.filter(m => m !== draft.profile),
            },
          },
        },
      };
  }
}

/** A typed price: undefined when empty, null when not a price. */
function price(text: string): number | undefined | null {
  if (text.trim() === '') return undefined;
  const value = Number(text);
  return Number.isFinite(value) && value >= 0 ? value : null;
}
