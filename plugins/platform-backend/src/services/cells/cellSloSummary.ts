import {
  CellSummary,
  prometheusBackedObjectives,
  SloAlertState,
  SloState,
  SloStatus,
  worstSloState,
} from '@cellport/plugin-platform-common';
import type { SloReport } from '../slo/SloService';

const SEVERITY: Record<SloAlertState, number> = { ok: 0, ticket: 1, page: 2 };

/**
 * A cell's row of the Cells list, as far as SLOs go: the worst state and alert of its
 * objectives and the least error budget left. The gateway's objectives count, and with a
 * configured Prometheus the other runtime services' too; one that Prometheus does not answer
 * for counts as "no data" (nothing known, which never hides a known state) and adds no alert
 * or budget.
 */
export function cellSloSummary(
  report: Pick<SloReport, 'objectives' | 'services'>,
): Pick<CellSummary, 'sloState' | 'alertState' | 'errorBudgetRemaining'> {
  const others = prometheusBackedObjectives(report.services);
  const statuses: SloStatus[] = [
    ...report.objectives,
    ...others.flatMap(o => (o.status ? [o.status] : [])),
  ];
  const row: ReturnType<typeof cellSloSummary> = {};
  row.sloState = worstSloState([
    ...statuses.map(o => o.state as SloState),
    ...others.filter(o => !o.status).map((): SloState => 'no data'),
  ]);
  if (statuses.length) {
    row.alertState = statuses
      .map(o => o.alertState as SloAlertState)
      .reduce((worst, s) => (SEVERITY[s] > SEVERITY[worst] ? s : worst));
  }
  const left = statuses
    .filter(o => o.totalEvents > 0)
    .map(o => o.errorBudget.remainingFraction)
    .filter((f): f is number => typeof f === 'number');
  if (left.length) row.errorBudgetRemaining = Math.min(...left);
  return row;
}
