import { AlertState, SloReport } from '../api';

const SEVERITY: Record<AlertState, number> = { ok: 0, ticket: 1, page: 2 };

/** The state of an entity is the worst of its SLOs': one paging SLO pages for the cell. */
export function worstAlertState(report: SloReport | undefined) {
  if (!report?.objectives.length) return undefined;
  return report.objectives
    .map(o => o.alertState)
    .reduce((worst, s) => (SEVERITY[s] > SEVERITY[worst] ? s : worst), 'ok');
}

/** The least error budget left among the SLOs (1 untouched, below 0 overspent). */
export function leastBudgetRemaining(report: SloReport | undefined) {
  const fractions = (report?.objectives ?? [])
    .filter(o => o.totalEvents > 0)
    .map(o => o.errorBudget.remainingFraction)
    .filter((f): f is number => typeof f === 'number');
  return fractions.length ? Math.min(...fractions) : undefined;
}
