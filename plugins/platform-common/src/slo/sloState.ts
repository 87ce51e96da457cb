import type { SloAlertState } from '../schema/openapi/generated';

/**
 * What an SLO's state says, in one word that cannot contradict its error budget:
 * - `no data`: no event in the window (a new cell or agent), so nothing is known;
 * - `exhausted`: the window's error budget is spent, whether or not an alert fires now;
 * - `burning`: a burn-rate alert fires (page or ticket) and budget is left;
 * - `ok`: budget left and no alert.
 */
export type SloState = 'no data' | 'ok' | 'burning' | 'exhausted';

/** From least to most severe: a cell's state is its worst objective's. */
export const SLO_STATES: readonly SloState[] = [
  'no data',
  'ok',
  'burning',
  'exhausted',
];

export interface SloStateInput {
  totalEvents: number;
  /** The error budget left, 1 untouched, 0 or below spent; null or absent when unknown. */
  remainingFraction?: number | null;
  alertState: SloAlertState;
}

/** The one rule that turns an SLO's events, budget and alerts into its state. */
export function sloState(slo: SloStateInput): SloState {
  if (slo.totalEvents <= 0) return 'no data';
  if (slo.remainingFraction !== null && slo.remainingFraction !== undefined) {
    if (slo.remainingFraction <= 0) return 'exhausted';
  }
  return slo.alertState === 'ok' ? 'ok' : 'burning';
}

/** The most severe of several states; undefined for none. */
export function worstSloState(states: SloState[]): SloState | undefined {
  if (states.length === 0) return undefined;
  return states.reduce((worst, state) =>
    SLO_STATES.indexOf(state) > SLO_STATES.indexOf(worst) ? state : worst,
  );
}
