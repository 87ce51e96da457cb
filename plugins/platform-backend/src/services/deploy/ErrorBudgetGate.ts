import { DeployErrorBudget } from '@cellport/plugin-platform-common';
import { prometheusObjectives } from '../slo/prometheusObjectives';
import { SloService } from '../slo/SloService';

export interface ErrorBudgetCheck {
  /** Some availability objective of the cell has no error budget left. */
  exhausted: boolean;
  budgets: DeployErrorBudget[];
  /** Availability objectives whose SLI Prometheus did not answer for: not counted. */
  unreadable: Array<{ objective: string; message: string }>;
  /** Why some objectives were not counted; absent when every one was read. */
  message?: string;
}

/**
 * The error budget policy of the Google SRE workbook: while a cell's availability error budget
 * is spent, changes to it stop unless someone overrides with a reason. Reads the cell's
 * availability objectives (its own, or the reference defaults) from the SLO engine and, with a
 * configured Prometheus, those of the cell's other runtime services from it; a cell without
 * traffic in the window has its whole budget.
 *
 * An objective Prometheus does not answer for (down, query refused) does not block: a
 * monitoring outage must not stop the deploy that may be its fix, and the gateway's own
 * budgets, read from the portal's events, still hold. The check names it instead.
 */
export class ErrorBudgetGate {
  constructor(private readonly slo: SloService) {}

  async check(cell: string): Promise<ErrorBudgetCheck> {
    const report = await this.slo.report(
      { kind: 'cell', name: cell },
      undefined,
      {
        services: true,
        budgetSeries: false,
      },
    );
    const others = prometheusObjectives(report.services).filter(
      o => o.indicator === 'availability',
    );
    const budgets = [
      ...report.objectives.filter(
        o => o.objective.indicator === 'availability',
      ),
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
}
