import {
  ALERT_SEVERITIES,
  AlertRoute,
  SEVERITY_ROUTES,
} from '@cellport/plugin-platform-common';
import { stringify } from 'yaml';

export interface AlertmanagerConfigOptions {
  /** The portal's alert webhook: `alertmanagerWebhookUrl(backend.baseUrl)`. */
  webhookUrl: string;
  /**
   * A file holding the bearer token the portal's webhook expects, read by Alertmanager at
   * send time, so that no secret is written into the configuration.
   */
  webhookCredentialsFile?: string;
}

const RECEIVERS: Record<AlertRoute, string> = {
  page: 'cellport-page',
  ticket: 'cellport-ticket',
  dashboard: 'cellport-dashboard',
};

/** How soon and how often each route repeats a firing alert. */
const REPEAT: Record<AlertRoute, string> = {
  page: '1h',
  ticket: '12h',
  dashboard: '24h',
};

function severitiesOf(route: AlertRoute): string[] {
  return ALERT_SEVERITIES.filter(s => SEVERITY_ROUTES[s] === route);
}

/**
 * Alertmanager's configuration for the cells' SLO alerts: seed 004's severities routed by
 * `SEVERITY_ROUTES` (P0 and P1 page, P2 opens a ticket, P3 only shows on the dashboard).
 * Every receiver posts to the portal's webhook, which tells them apart by the payload's
 * `receiver` and notifies the alert's `owner`; resolutions are sent too, so the portal
 * resolves what Alertmanager resolves. An alert without a known severity lands on the
 * dashboard rather than nowhere. While a faster burn of an SLO fires, its slower burns of
 * the same SLO are held back: one incident, one notification.
 */
export function renderAlertmanagerConfig(
  options: AlertmanagerConfigOptions,
): Record<string, unknown> {
  const webhook = {
    url: options.webhookUrl,
    send_resolved: true,
    ...(options.webhookCredentialsFile
      ? {
          http_config: {
            authorization: {
              type: 'Bearer',
              credentials_file: options.webhookCredentialsFile,
            },
          },
        }
      : {}),
  };
  const routes = (Object.keys(RECEIVERS) as AlertRoute[]).map(route => ({
    receiver: RECEIVERS[route],
    matchers: [`severity=~"${severitiesOf(route).join('|')}"`],
    repeat_interval: REPEAT[route],
  }));
  const inhibitions = ALERT_SEVERITIES.slice(0, -1).map((source, i) => ({
    source_matchers: [`severity="${source}"`],
    target_matchers: [`severity=~"${ALERT_SEVERITIES.slice(i + 1).join('|')}"`],
    equal: ['cell', 'slo'],
  }));
  return {
    route: {
      receiver: RECEIVERS.dashboard,
      group_by: ['alertname', 'cell', 'service', 'slo'],
      group_wait: '30s',
      group_interval: '5m',
      repeat_interval: REPEAT.dashboard,
      routes,
    },
    inhibit_rules: inhibitions,
    receivers: (Object.values(RECEIVERS) as string[]).map(name => ({
      name,
      webhook_configs: [{ ...webhook }],
    })),
  };
}

/** The configuration as Alertmanager's YAML file. */
export function renderAlertmanagerConfigYaml(
  options: AlertmanagerConfigOptions,
): string {
  return stringify(renderAlertmanagerConfig(options), {
    lineWidth: 0,
    sortMapEntries: false,
  });
}
