import type { ReplayChangedRoute } from '../../api';

/** The route a side ranked first, or why there was none. */
export function routeLabel(
  route: ReplayChangedRoute,
  side: 'recorded' | 'proposed',
): string {
  if (side === 'recorded') return route.recorded ?? 'refused';
  if (route.refusal) return `refused (${route.refusal.reason})`;
  return route.proposed ?? 'refused';
}

/** The replay's candidates in one line, to read beside the recorded ones in the drawer. */
export function candidatesLine(route: ReplayChangedRoute): string {
  return route.proposedCandidates
    .map(c =>
      c.kept
        ? `${c.modelProfile} #${(c.rank ?? 0) + 1}`
        : `${c.modelProfile}: ${c.dropReason ?? 'dropped'}`,
    )
    .join('; ');
}

/** Why a replayed route differs from the recorded one, as a reader reads it. */
export const REPLAY_CAUSES: Record<ReplayChangedRoute['cause'], string> = {
  change: 'the change',
  'features-missing': 'features assumed',
  breaker: 'a circuit was open then',
  'state-changed': 'decided under another state',
  budget: 'budget at the time',
  'latency-or-load': 'latency or load then',
  unroutable: 'no longer in the state',
};
