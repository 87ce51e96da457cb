import {
  ReceivedAlert,
  AlertmanagerAlert,
  ReceivedAlertState,
  AlertWebhookResult,
  ReceivedAlertList,
} from '@cellport/plugin-platform-common';
import { Knex } from 'knex';
import { Clock } from '@cellport/plugin-platform-node';
import { afterCursor, decodeCursor, pageOf } from '../paging/keysetCursor';
import { namesAnEnd } from '../../validation';

const ALERTS = 'platform_alerts';

/** The end an alert names (checkAlertTimes let only real ones in), or null for none yet. */
function endOf(alert: AlertmanagerAlert): number | null {
  return namesAnEnd(alert.endsAt) ? Date.parse(alert.endsAt) : null;
}

/** Which alerts a list holds: a cell, a state, and the tenants (and their cells) a caller may read. */
export interface AlertFilter {
  cell?: string;
  state?: ReceivedAlertState;
  /**
   * Undefined for every alert. Otherwise alerts labelled with one of these tenants, and alerts
   * without a tenant (cell-wide, as a shared cell's are) of the cells in `cells`.
   */
  tenants?: string[];
  cells?: string[];
}

/** An alert whose incident began or ended with a delivery (repeats and late copies are not). */
export interface AlertChange {
  alert: AlertmanagerAlert;
  change: 'opened' | 'resolved';
}

/**
 * The alerts Alertmanager posted, one row per fingerprint (its hash of the alert's labels).
 * Alertmanager repeats a firing alert until it resolves and may deliver late or twice; the
 * row moves only forwards: a repeat refreshes it, a resolution ends the incident it names, a
 * firing that starts after a resolution opens a new one, and anything older is ignored.
 */
export class AlertStore {
  constructor(private readonly db: Knex, private readonly clock: Clock) {}

  async receive(
    receiver: string,
    alerts: AlertmanagerAlert[],
  ): Promise<{ result: AlertWebhookResult; changes: AlertChange[] }> {
    try {
      return await this.receiveOnce(receiver, alerts);
    } catch {
      // Two deliveries inserting the same new fingerprint at once: the loser's second pass
      // finds the row and applies its update.
      return await this.receiveOnce(receiver, alerts);
    }
  }

  private receiveOnce(receiver: string, alerts: AlertmanagerAlert[]) {
    const now = this.clock.now();
    return this.db.transaction(async tx => {
      const result = { received: alerts.length, opened: 0, resolved: 0 };
      const changes: AlertChange[] = [];
      for (const alert of alerts) {
        const change = await this.apply(tx, receiver, alert, now);
        if (change === 'opened' || change === 'resolved') {
          result[change]++;
          changes.push({ alert, change });
        }
      }
      return { result, changes };
    });
  }

  private async apply(
    tx: Knex.Transaction,
    receiver: string,
    alert: AlertmanagerAlert,
    now: number,
  ): Promise<'opened' | 'resolved' | 'refreshed' | 'ignored'> {
    const startsAt = Date.parse(alert.startsAt);
    const endsAt = alert.status === 'resolved' ? endOf(alert) ?? now : null;
    const { labels } = alert;
    const label = (name: string): string | null => labels[name] ?? null;
    const fields = {
      alertname: labels.alertname,
      cell: labels.cell,
      tenant: label('tenant'),
      service: label('service'),
      slo: label('slo'),
      severity: label('severity'),
      owner: label('owner'),
      labels: JSON.stringify(labels),
      annotations: JSON.stringify(alert.annotations),
      receiver,
      updated_at: now,
    };
    const existing = await tx(ALERTS)
      .where('fingerprint', alert.fingerprint)
      .first('fingerprint');
    if (!existing) {
      await tx(ALERTS).insert({
        fingerprint: alert.fingerprint,
        ...fields,
        state: alert.status,
        starts_at: startsAt,
        ends_at: endsAt,
      });
      return alert.status === 'firing' ? 'opened' : 'ignored';
    }
    // Each move is one conditional UPDATE: portal replicas share the database, and one that
    // read the row before another moved it would move it again (and notify again). The
    // database re-checks the condition on the row it locks, so of deliveries racing, one
    // moves it and the others find it moved already.
    const moved = (from: ReceivedAlertState, startedBefore: '<' | '<=') =>
      tx(ALERTS)
        .where('fingerprint', alert.fingerprint)
        .where('state', from)
        .where('starts_at', startedBefore, startsAt);
    if (alert.status === 'firing') {
      const reopened = await moved('resolved', '<').update({
        ...fields,
        state: 'firing',
        starts_at: startsAt,
        ends_at: null,
      });
      if (reopened) return 'opened';
      const refreshed = await moved('firing', '<=').update({
        ...fields,
        starts_at: startsAt,
      });
      // Otherwise a late copy of an incident already resolved.
      return refreshed ? 'refreshed' : 'ignored';
    }
    const resolved = await moved('firing', '<=').update({
      ...fields,
      state: 'resolved',
      ends_at: endsAt,
    });
    return resolved ? 'resolved' : 'ignored';
  }

  /** A page of alerts, newest first (`afterCursor`'s order): `limit` is the route's. */
  async list(
    filter: AlertFilter,
    page: { limit: number; cursor?: string },
  ): Promise<ReceivedAlertList> {
    const query = this.db(ALERTS)
      .select()
      .orderBy([
        { column: 'starts_at', order: 'desc' },
        { column: 'fingerprint', order: 'desc' },
      ])
      .limit(page.limit + 1);
    if (page.cursor) {
      // Any fingerprint the webhook takes (1 to 64 characters; never NUL, refused at the door).
      const cursor = decodeCursor(page.cursor, '[^\\u0000]{1,64}');
      afterCursor(query, { time: 'starts_at', id: 'fingerprint' }, cursor);
    }
    if (filter.cell) query.where('cell', filter.cell);
    if (filter.state) query.where('state', filter.state);
    if (filter.tenants) {
      const { tenants, cells = [] } = filter;
      query.where(visible =>
        visible
          .whereIn('tenant', tenants)
          .orWhere(cellWide =>
            cellWide.whereNull('tenant').whereIn('cell', cells),
          ),
      );
    }
    const rows = await query;
    return pageOf(rows.map(toAlert), page.limit, alert => ({
      ts: Date.parse(alert.startsAt),
      id: alert.fingerprint,
    }));
  }
}

function toAlert(row: Record<string, any>): ReceivedAlert {
  const annotations: Record<string, string> = JSON.parse(row.annotations);
  const optional = (key: string, value: unknown) =>
    value === null || value === undefined ? {} : { [key]: String(value) };
  return {
    fingerprint: row.fingerprint,
    alertname: row.alertname,
    state: row.state,
    cell: row.cell,
    ...optional('tenant', row.tenant),
    ...optional('service', row.service),
    ...optional('slo', row.slo),
    ...optional('severity', row.severity),
    ...optional('owner', row.owner),
    ...optional('summary', annotations.summary),
    ...optional('dashboard', annotations.dashboard),
    labels: JSON.parse(row.labels),
    annotations,
    startsAt: new Date(Number(row.starts_at)).toISOString(),
    ...(row.ends_at !== null && row.ends_at !== undefined
      ? { endsAt: new Date(Number(row.ends_at)).toISOString() }
      : {}),
    updatedAt: new Date(Number(row.updated_at)).toISOString(),
  };
}
