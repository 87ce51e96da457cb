/**
 * The portal page of a cell's dashboard (its SLOs, alerts, traffic), as alerts and
 * notifications link to it: `<app.baseUrl>/catalog/default/cell/<name>/dashboard`.
 */
export function cellDashboardUrl(portalBaseUrl: string, cell: string): string {
  return `${portalBaseUrl.replace(
    /\/+$/,
    '',
  )}/catalog/default/cell/${encodeURIComponent(cell)}/dashboard`;
}

/** The portal backend's route Alertmanager posts its alerts to, under the backend's base URL. */
export const ALERTMANAGER_WEBHOOK_PATH = '/api/platform/alerts/alertmanager';

/** Where Alertmanager's receivers post: `<backend.baseUrl>/api/platform/alerts/alertmanager`. */
export function alertmanagerWebhookUrl(backendBaseUrl: string): string {
  return `${backendBaseUrl.replace(/\/+$/, '')}${ALERTMANAGER_WEBHOOK_PATH}`;
}
