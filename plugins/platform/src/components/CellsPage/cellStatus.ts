import { Entity } from '@backstage/catalog-model';
import { CellRuntimeStatus, PlatformApi, SloReport } from '../../api';

/** What the platform backend says about each cell, beside what the catalog says. */
export interface CellStatus {
  slo?: SloReport;
  runtime?: CellRuntimeStatus;
  monthToDateUsd?: number;
  /** Why part of the status is missing, to show instead of a blank. */
  errors: string[];
}

function monthStart(now: Date) {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
}

/**
 * Reads every cell's SLOs and runtime, and the month's cost per cell in one call. A cell whose
 * status fails to load still shows, with the reason, so one bad cell does not blank the table.
 */
export async function loadCellStatuses(
  api: PlatformApi,
  cells: Entity[],
  now = new Date(),
): Promise<Map<string, CellStatus>> {
  const names = cells.map(c => c.metadata.name);
  const cost = api
    .getCostBreakdown(
      { from: monthStart(now).toISOString(), to: now.toISOString() },
      {},
      { groupBy: 'cell', granularity: 'day' },
    )
    .then(b => new Map(b.groups.map(g => [g.key, g.costUsd])));

  const [costs, ...perCell] = await Promise.allSettled([
    cost,
    ...names.map(name =>
      Promise.allSettled([
        api.getSloReport({ cell: name }),
        api.getCellRuntime(name),
      ]),
    ),
  ]);

  const statuses = new Map<string, CellStatus>();
  names.forEach((name, i) => {
    const settled = perCell[i];
    const [slo, runtime] =
      settled.status === 'fulfilled' ? settled.value : [settled, settled];
    const errors: string[] = [];
    const status: CellStatus = { errors };
    if (slo.status === 'fulfilled') status.slo = slo.value as SloReport;
    else errors.push(`SLOs: ${slo.reason?.message ?? slo.reason}`);
    if (runtime.status === 'fulfilled')
      status.runtime = runtime.value as CellRuntimeStatus | undefined;
    else errors.push(`runtime: ${runtime.reason?.message ?? runtime.reason}`);
    if (costs.status === 'fulfilled')
      status.monthToDateUsd = costs.value.get(name) ?? 0;
    else errors.push(`cost: ${costs.reason?.message ?? costs.reason}`);
    statuses.set(name, status);
  });
  return statuses;
}
