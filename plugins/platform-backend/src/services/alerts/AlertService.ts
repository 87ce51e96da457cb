import {
  ReceivedAlert,
  AlertmanagerAlert,
  ReceivedAlertState,
  hostedTenants,
} from '@cellport/plugin-platform-common';
import { TenantScope } from '../access/TenantAccess';
import { AlertNotifier } from '../notifications/AlertNotifier';
import { AlertStore } from './AlertStore';
import { PlatformCatalog } from '@cellport/plugin-platform-node';

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
  ) {}

  /** Stores a delivery, then tells the owners of what began or ended with it. */
  async receive(receiver: string, alerts: AlertmanagerAlert[]) {
    const { result, changes } = await this.store.receive(receiver, alerts);
    await this.notifier.notify(changes);
    return result;
  }

  async list(
    query: { cell?: string; state?: ReceivedAlertState },
    scope: TenantScope,
  ): Promise<ReceivedAlert[]> {
    if (scope.all) return this.store.list(query);
    const { cells, tenants } = await this.catalog.entities();
    const allowed = new Set(scope.tenants);
    const cellsOfAllowed = cells
      .filter(cell => hostedTenants(cell, tenants).some(t => allowed.has(t)))
      .map(cell => cell.metadata.name);
    return this.store.list({
      ...query,
      tenants: scope.tenants,
      cells: cellsOfAllowed,
    });
  }
}
