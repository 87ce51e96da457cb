import { DeployErrorBudget } from '@cellport/plugin-platform-common';
import { SloService } from '../slo/SloService';

export interface ErrorBudgetCheck {
  /** Some availability objective of the cell has no error budget left. */
  exhausted: boolean;
  budgets: DeployErrorBudget[];
}

/**
 * The error budget policy of the Google SRE workbook: while a cell's availability error budget
 * is spent, changes to it stop unless someone overrides with a reason. Reads the cell's
 * availability objectives (its own, or the reference defaults) from the SLO engine; a cell
 * without traffic in the window has its whole budget.
 */
export class ErrorBudgetGate {
  constructor(private readonly slo: SloService) {}

  async check(cell: string): Promise<ErrorBudgetCheck> {
    const report = await this.slo.report({ kind: 'cell', name: cell });
    const budgets = report.objectives
      .filter(status => status.objective.indicator === 'availability')
      .map(status => ({
        objective: status.objective.name,
        remainingFraction: status.errorBudget.remainingFraction,
      }));
    return {
      exhausted: budgets.some(budget => budget.remainingFraction <= 0),
      budgets,
    };
  }
}
