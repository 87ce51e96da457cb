import { NotFoundError } from '@backstage/errors';
import {
  CellRuntimeStatus,
  CellSummary,
  CellSummaryReport,
  entityRefName,
  platformCostReadPermission,
  platformRuntimeReadPermission,
  platformSloReadPermission,
} from '@cellport/plugin-platform-common';
import { ReconcilerService } from '../reconciler/ReconcilerService';
import { COST_COLUMNS, RollupStore } from '../rollups/RollupStore';
import { SloService } from '../slo/SloService';
import { cellSloSummary } from './cellSloSummary';
import { GpuSpendLedger } from '../cost/GpuSpendLedger';
import { roundUsd, sumRaw } from '../cost/usd';
import { TimeRange } from '../rollups/timeRanges';
import { Clock, PlatformCatalog } from '@cellport/plugin-platform-node';

/**
 * What the caller may read: each part is the tenants it is restricted to (undefined for all),
 * or `false` without the permission, in which case that part of every row says so.
 */
export interface CellSummaryAccess {
  slo: string[] | undefined | false;
  cost: string[] | undefined | false;
  runtime: boolean;
}

const describe = (e: unknown) => (e instanceof Error ? e.message : String(e));
const notAllowed = (permission: { name: string }) =>
  new Error(`not allowed: ${permission.name}`);

/**
 * The state of cells beside what the catalog says of them: each cell's runtime record, and the
 * summary of every cell at once (SLO state, error budget left, month-to-date token and GPU
 * cost, runtime), so the Cells overview is one request instead of two per cell.
 */
export class CellStatusService {
  constructor(
    private readonly deps: {
      catalog: PlatformCatalog;
      slo: SloService;
      rollups: RollupStore;
      gpu: GpuSpendLedger;
      reconciler: ReconcilerService;
      clock: Clock;
    },
  ) {}

  /**
   * A cell's runtime record; a cell of the catalog the reconciler has not recorded yet is
   * `seen: false`. A name the catalog does not know is a NotFoundError.
   */
  async runtime(name: string): Promise<CellRuntimeStatus> {
    const recorded = await this.deps.reconciler.runtime(name);
    if (recorded) return recorded;
    const { cells } = await this.deps.catalog.entities();
    const cell = cells.find(c => c.metadata.name === entityRefName(name));
    if (!cell)
      throw new NotFoundError(`No cell named "${name}" in the catalog`);
    return {
      ...unseen(cell.metadata.name),
      gateway: await this.deps.reconciler.gatewayStatus(cell.metadata.name),
    };
  }

  /**
   * Token and GPU cost per cell over a range, of `tenants` (all when undefined): raw sums, each
   * figure of a row rounded once where it is reported.
   */
  private async monthToDateCosts(
    range: TimeRange,
    tenants: string[] | undefined,
  ): Promise<Map<string, { tokenUsd: number; gpuUsd: number }>> {
    const [tokens, gpus] = await Promise.all([
      this.deps.rollups.breakdown(range, { tenants }, 'cell', COST_COLUMNS),
      this.deps.gpu.spend(range),
    ]);
    const costs = new Map<string, { tokenUsd: number; gpuUsd: number }>();
    const of = (cell: string) => {
      if (!costs.has(cell)) costs.set(cell, { tokenUsd: 0, gpuUsd: 0 });
      return costs.get(cell)!;
    };
    for (const point of tokens) {
      const cell = of(point.key!);
      cell.tokenUsd += point.summary.costUsd;
    }
    for (const spend of gpus) {
      of(spend.cell).gpuUsd += tenants
        ? tenants.reduce(
            (total, tenant) =>
              total + sumRaw(spend.tenantCostUsd.get(tenant) ?? []),
            0,
          )
        : sumRaw(spend.costUsd);
    }
    return costs;
  }

  /** Every cell of the catalog, in name order. One cell's failure stays in its own row. */
  async summaries(access: CellSummaryAccess): Promise<CellSummaryReport> {
    const now = new Date(this.deps.clock.now());
    const monthStart = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1);
    const { cells } = await this.deps.catalog.entities();
    const names = cells.map(c => c.metadata.name).sort();

    const costs =
      access.cost === false
        ? undefined
        : this.monthToDateCosts(
            { from: monthStart, to: now.getTime() },
            access.cost,
          );
    // Read before the rows so that a failure is reported once per row, not thrown.
    const costsOrError = await costs?.then(
      map => ({ map }),
      error => ({ error: describe(error) }),
    );

    const rows = await Promise.all(
      names.map(async (cell): Promise<CellSummary> => {
        const errors: string[] = [];
        const row: CellSummary = { cell, errors };
        const [slo, runtime] = await Promise.allSettled([
          access.slo === false
            ? Promise.reject(notAllowed(platformSloReadPermission))
            : this.deps.slo.report(
                { kind: 'cell', name: cell },
                { tenants: access.slo },
                // The other runtime services' states too, where Prometheus is configured.
                { services: true, budgetSeries: false },
              ),
          access.runtime
            ? this.runtime(cell)
            : Promise.reject(notAllowed(platformRuntimeReadPermission)),
        ]);
        if (slo.status === 'fulfilled') {
          Object.assign(row, cellSloSummary(slo.value));
        } else errors.push(`SLOs: ${describe(slo.reason)}`);
        if (runtime.status === 'fulfilled') row.runtime = runtime.value;
        else errors.push(`runtime: ${describe(runtime.reason)}`);
        if (!costsOrError)
          errors.push(
            `cost: ${notAllowed(platformCostReadPermission).message}`,
          );
        else if ('error' in costsOrError)
          errors.push(`cost: ${costsOrError.error}`);
        else {
          const cost = costsOrError.map.get(cell);
          row.monthToDateUsd = roundUsd(
            (cost?.tokenUsd ?? 0) + (cost?.gpuUsd ?? 0),
          );
          row.monthToDateGpuUsd = roundUsd(cost?.gpuUsd ?? 0);
        }
        return row;
      }),
    );
    return {
      asOf: now.toISOString(),
      month: now.toISOString().slice(0, 7),
      cells: rows,
    };
  }
}

function unseen(cell: string): Omit<CellRuntimeStatus, 'gateway'> {
  return {
    cell,
    seen: false,
    inSync: false,
    drift: false,
    consecutiveFailures: 0,
  };
}
