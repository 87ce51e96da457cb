import {
  ReceivedAlertList,
  AlertmanagerAlert,
  ReceivedAlertState,
  AlertWebhookResult,
  hostedTenants,
} from '@cellport/plugin-platform-common';
import { findCell } from '../notifications/ownerGroup';
import { TenantScope } from '../access/TenantAccess';
import { AlertNotifier } from '../notifications/AlertNotifier';
import { AlertStore } from './AlertStore';
import { PlatformCatalog } from '@cellport/plugin-platform-node';
import { LoggerService } from '@backstage/backend-plugin-api';

/**
 * The alerts a caller may read. An alert labelled with a tenant (a single-tenant cell's) is
 * that tenant's; a cell-wide alert (a shared cell's) concerns every tenant the cell hosts, so
 * each of them sees it.
 */
export class AlertService {
  constructor(
    private readonly store: AlertStore,
    private readonly catalog: PlatformCatalog,
    private readonly notifier: AlertNotifier,
    private readonly logger: LoggerService,
  ) {}

  /**
   * Stores a delivery, then tells the owners of what began or ended with it. Alerts on a cell
   * the catalog does not have are stored and told to the fallback owner like any other; the
   * answer names those cells (`unknownCells`) so that the rule's author can see the mistake.
   */
  async receive(
    receiver: string,
    alerts: AlertmanagerAlert[],
  ): Promise<AlertWebhookResult> {
    const { result, changes } = await this.store.receive(receiver, alerts);
    // The alerts are stored: failing now would have Alertmanager redeliver them, found known
    // and told to no one. Without the catalog, the labelled and fallback owners hear of them
    // and the answer leaves out the cells it cannot check.
    const entities = await this.catalog.entities().catch(error => {
      this.logger.warn(
        `Could not read the catalog for alerts received by ${receiver}: ${error}`,
      );
      return undefined;
    });
    await this.notifier.notify(changes, entities);
    if (!entities) return result;
    const unknownCells = [
      ...new Set(alerts.map(alert => alert.labels.cell)),
    ].filter(cell => !findCell(cell, entities));
    return unknownCells.length > 0 ? { ...result, unknownCells } : result;
  }

  async list(
    query: { cell?: string; state?: ReceivedAlertState },
    page: { limit: number; cursor?: string },
    scope: TenantScope,
  ): Promise<ReceivedAlertList> {
    if (scope.all) return this.store.list(query, page);
    const { cells, tenants } = await this.catalog.entities();
    const allowed = new Set(scope.tenants);
    const cellsOfAllowed = cells
      .filter(cell => hostedTenants(cell, tenants).some(t => allowed.has(t)))
      .map(cell => cell.metadata.name);
    return this.store.list(
      { ...query, tenants: scope.tenants, cells: cellsOfAllowed },
      page,
    );
  }
}
