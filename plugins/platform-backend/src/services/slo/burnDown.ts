import { SloObjective, SloStatus } from '@cellport/plugin-platform-common';

export type ErrorBudgetPoint = NonNullable<SloStatus['budgetSeries']>[number];

/** Good and total events counted in one stretch of an SLO's window, ending at `endMs`. */
export interface BurnDownStep {
  endMs: number;
  good: number;
  total: number;
}

/**
 * The budget spent by the end of each step, as a share of the budget the whole window allows
 * at its current traffic (`windowTotal` events). One rule for the portal's engine (steps of a
 * day) and for Prometheus (a hundredth of the window), so both cards draw the same course.
 */
export function burnDown(
  objective: Pick<SloObjective, 'target'>,
  windowTotal: number,
  steps: BurnDownStep[],
): ErrorBudgetPoint[] {
  const allowed = (1 - objective.target) * windowTotal;
  let consumed = 0;
  return steps.map(step => {
    consumed += step.total - step.good;
    const consumedFraction = allowed > 0 ? consumed / allowed : 0;
    return {
      timestamp: new Date(step.endMs).toISOString(),
      consumedFraction,
      remainingFraction: 1 - consumedFraction,
    };
  });
}
