import {
  dropReasonSchema,
  outcomeSchema,
} from '@cellport/plugin-platform-common';
import { useSearchParams } from 'react-router-dom';
import { DecisionFilters } from '../../api';

/** URL parameters of the decision explorer, so a filtered view can be pasted as a link. */
const KEYS = ['outcome', 'fellBack', 'droppedFor', 'model'] as const;
type FilterKey = (typeof KEYS)[number];
const FELL_BACK: Record<string, boolean | undefined> = {
  true: true,
  false: false,
};

/** The explorer's filters and the open decision (`?decision=<id>`), kept in the URL. */
export function useDecisionFilters() {
  const [params, setParams] = useSearchParams();
  const outcome = outcomeSchema.safeParse(params.get('outcome'));
  const droppedFor = dropReasonSchema.safeParse(params.get('droppedFor'));
  const filters: DecisionFilters = {
    outcome: outcome.success ? outcome.data : undefined,
    droppedFor: droppedFor.success ? droppedFor.data : undefined,
    fellBack: FELL_BACK[params.get('fellBack') ?? ''],
    model: params.get('model') || undefined,
  };

  const update = (key: FilterKey | 'decision', value: string | undefined) =>
    setParams(
      current => {
        const next = new URLSearchParams(current);
        if (value) next.set(key, value);
        else next.delete(key);
        return next;
      },
      { replace: key !== 'decision' },
    );

  return {
    filters,
    setFilter: (key: FilterKey, value: string | undefined) =>
      update(key, value),
    openDecision: params.get('decision') ?? undefined,
    setOpenDecision: (id: string | undefined) => update('decision', id),
  };
}
