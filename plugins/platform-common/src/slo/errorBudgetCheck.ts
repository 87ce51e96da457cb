import type { SloReport } from '../schema/openapi/generated/models';
import { prometheusBackedObjectives } from './prometheusBackedObjectives';

/** One availability objective of a cell and the share of its error budget left. */
export interface ErrorBudgetReading {
  objective: string;
  remainingFraction: number;
}

/** Whether a cell takes changes, by the error budget policy. */
export interface ErrorBudgetCheck {
  /** Some availability objective of the cell has no error budget left. */
  exhausted: boolean;
  budgets: ErrorBudgetReading[];
  /** Availability objectives whose SLI Prometheus did not answer for: not counted. */
  unreadable: Array<{ objective: string; message: string }>;
  /** Why some objectives were not counted; absent when every one was read. */
  message?: string;
}

/**
 * The error budget policy of the Google SRE workbook, decided on a cell's SLO report (the
 * platform API's `GET /slos?cell=`): while some availability objective of the cell, the
 * gateway's own or another runtime service's read from Prometheus, has no budget left, changes
 * to it stop unless someone overrides with a reason. A cell without traffic in the window has
 * its whole budget.
 *
 * An objective Prometheus does not answer for (down, query refused) does not block: a
 * monitoring outage must not stop the deploy that may be its fix, and the gateway's own
 * budgets, read from the portal's events, still hold. The check names it instead.
 */
export function errorBudgetCheck(report: SloReport): ErrorBudgetCheck {
  const others = prometheusBackedObjectives(report.services).filter(
    o => o.indicator === 'availability',
  );
  const budgets = [
    ...report.objectives.filter(o => o.objective.indicator === 'availability'),
    ...others.flatMap(o => (o.status ? [o.status] : [])),
  ].flatMap(({ objective, errorBudget: { remainingFraction } }) =>
    // Always computed, by the engine and by Prometheus alike; the API leaves it optional.
    remainingFraction === undefined
      ? []
      : [{ objective: objective.name, remainingFraction }],
  );
  const unreadable = others.flatMap(o =>
    o.unreadable ? [{ objective: o.name, message: o.unreadable }] : [],
  );
  return {
    exhausted: budgets.some(budget => budget.remainingFraction <= 0),
    budgets,
    unreadable,
    ...(unreadable.length
      ? {
          message: `Not counted, as an SLI that cannot be read does not block a deploy: ${unreadable
            .map(u => `${u.objective} (${u.message})`)
            .join('; ')}`,
        }
      : {}),
  };
}
