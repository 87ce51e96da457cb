import { LoggerService } from '@backstage/backend-plugin-api';
import { NotificationService } from '@backstage/plugin-notifications-node';
import { NotificationSeverity } from '@backstage/plugin-notifications-common';
import { parseEntityRef } from '@backstage/catalog-model';
import {
  cellDashboardUrl,
  entityRefSchema,
} from '@cellport/plugin-platform-common';
import { AlertChange } from '../alerts/AlertStore';
import { ownerOf, ownerRef } from './ownerGroup';
import { PlatformEntities } from '@cellport/plugin-platform-node';

/** Seed 004's severities in Backstage's: P0/P1 page, P2 is a ticket, P3 a dashboard note. */
const SEVERITY: Record<string, NotificationSeverity> = {
  P0: 'critical',
  P1: 'high',
  P2: 'normal',
  P3: 'low',
};

/** The kinds whose entities a notification reaches people through. */
const RECIPIENT_KINDS = ['group', 'user'];

/**
 * The alert's `owner` label (its SLO's owner, who is paged) as a group or user ref; undefined
 * for anything else, which the rules never write but a hand-made rule might.
 */
function labelledOwner(owner: string | undefined): string | undefined {
  if (!owner || !entityRefSchema.safeParse(owner).success) return undefined;
  const ref = ownerRef(owner);
  return RECIPIENT_KINDS.includes(parseEntityRef(ref).kind) ? ref : undefined;
}

/**
 * Tells the alert's `owner` and the owning group of the cell (or of the tenant, on a
 * single-tenant cell; the fallback owner, of a cell the catalog does not have or when the
 * catalog could not be read) when an alert starts firing and when Alertmanager resolves it.
 * One notification per incident: the resolution updates the firing one (same scope), and
 * Alertmanager's repeats send nothing.
 */
export class AlertNotifier {
  constructor(
    private readonly notifications: NotificationService,
    private readonly logger: LoggerService,
    private readonly options: { fallbackOwner: string },
  ) {}

  /** `entities` is undefined when the catalog could not be read. */
  async notify(
    changes: AlertChange[],
    entities: PlatformEntities | undefined,
  ): Promise<void> {
    for (const { alert, change } of changes) {
      const { labels, annotations } = alert;
      // The cell's or tenant's owner hears of it as before, whoever else owns the SLO; of a
      // cell the catalog does not have (or has not told), the platform's fallback owner, so
      // none goes unheard.
      const owners = [
        ...new Set([
          labelledOwner(labels.owner),
          (entities &&
            ownerOf({ cell: labels.cell, tenant: labels.tenant }, entities)) ??
            ownerRef(this.options.fallbackOwner),
        ]),
      ].filter((ref): ref is string => !!ref);
      const what = annotations.summary ?? labels.alertname;
      const where = [labels.service, labels.cell].filter(Boolean).join(' in ');
      try {
        await this.notifications.send({
          recipients: { type: 'entity', entityRef: owners },
          payload: {
            title:
              change === 'opened'
                ? `${labels.severity ?? 'Alert'} firing: ${what}`
                : `Resolved: ${what}`,
            description:
              change === 'opened'
                ? `${labels.alertname} (${where}) fires since ${alert.startsAt}.`
                : `${labels.alertname} (${where}) resolved at ${alert.endsAt}.`,
            link: annotations.dashboard ?? cellDashboardUrl('', labels.cell),
            severity:
              change === 'opened'
                ? SEVERITY[labels.severity ?? ''] ?? 'normal'
                : 'low',
            topic: `Alerts of ${labels.cell}`,
            // Alertmanager's fingerprint: the resolution replaces the firing notification.
            scope: `cellport-alert:${alert.fingerprint}`,
          },
        });
      } catch (error) {
        // The alert is stored and listed on the dashboard; only the message is lost.
        this.logger.warn(
          `Could not notify ${owners.join(', ')} of ${
            labels.alertname
          }: ${error}`,
        );
      }
    }
  }
}
