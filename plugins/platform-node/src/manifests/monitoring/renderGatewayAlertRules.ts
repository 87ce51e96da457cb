import {
  AlertSeverity,
  CellEntity,
  cellDashboardUrl,
  cellSloTenant,
  SEVERITY_ROUTES,
} from '@cellport/plugin-platform-common';
import { GATEWAY_NAME } from '../labels';
import type { PrometheusRuleGroup } from './renderSloRules';

/**
 * The job prometheus-operator gives the gateway's scrape targets: a ServiceMonitor's targets
 * take their Service's name as `job` (renderServiceMonitors sets no `jobLabel`).
 */
export const GATEWAY_SCRAPE_JOB = GATEWAY_NAME;

/** The spool's fill ratio the gateway alerts at: past 1 its oldest events are dropped. */
export const SPOOL_FILL_ALERT_RATIO = 0.8;

/**
 * Whether a counter of the cell's gateways counted anything in the last 5 minutes. `increase()`
 * never counts a series' first sample, and a new replica can start with events already counted
 * (a spool over its cap or on a full volume at start drops them before the first scrape): a
 * series that was not there 5 minutes ago and is above 0 counts too.
 */
function newCountsOf(counter: string, cell: string): string {
  const series = `${counter}{cell="${cell}"}`;
  return `sum(increase(${series}[5m])) > 0 or sum(${series} > 0 unless ${series} offset 5m) > 0`;
}

interface GatewayAlert {
  alert: string;
  expr: (cell: string) => string;
  for?: string;
  severity: AlertSeverity;
  summary: (cell: string) => string;
  description: string;
}

/**
 * What the SLO burn-rate alerts cannot see: events lost or set aside (the tenants' bills),
 * a spool about to drop, a profile's upstream down behind its fallbacks, and a fleet that
 * serves nothing (no requests, so no error ratio to burn). Lost billing events page; what
 * can wait for working hours opens a ticket.
 */
const GATEWAY_ALERTS: readonly GatewayAlert[] = [
  {
    alert: 'CellportGatewayDown',
    // Absent as well as down: a fleet scaled to zero or never scraped has no `up` at 1.
    expr: cell => `absent(up{cell="${cell}",job="${GATEWAY_SCRAPE_JOB}"} == 1)`,
    for: '2m',
    severity: 'P0',
    summary: cell => `No gateway replica of cell ${cell} is up`,
    description:
      "Prometheus has scraped no gateway replica of the cell for 2 minutes: the cell's tenants get no answers, and their requests show in no SLI.",
  },
  {
    alert: 'CellportGatewayEventsDropped',
    expr: cell => newCountsOf('cellport_gateway_events_dropped_total', cell),
    severity: 'P1',
    summary: cell => `Gateways of cell ${cell} dropped usage events`,
    description:
      "A gateway dropped events of answered requests in the last 5 minutes (its spool over its byte cap or its volume full, or unwritable): their usage is never billed. The gateway's log says how many and why.",
  },
  {
    alert: 'CellportGatewaySpoolFilling',
    expr: cell =>
      `max(cellport_gateway_spool_fill_ratio{cell="${cell}"}) > ${SPOOL_FILL_ALERT_RATIO}`,
    for: '5m',
    severity: 'P1',
    summary: cell =>
      `A gateway's event spool in cell ${cell} is over ${
        SPOOL_FILL_ALERT_RATIO * 100
      }% of its byte cap`,
    description: `For 5 minutes a gateway's event spool has held over ${
      SPOOL_FILL_ALERT_RATIO * 100
    }% of its byte cap (GATEWAY_SPOOL_MAX_BYTES): its events are not reaching the portal or the event stream, and past the cap the oldest are dropped, never billed.`,
  },
  {
    alert: 'CellportGatewayEventsDeadLettered',
    expr: cell =>
      newCountsOf('cellport_gateway_events_dead_lettered_total', cell),
    severity: 'P2',
    summary: cell => `The portal refused events of cell ${cell} for good`,
    description:
      "The receiver refused events for good in the last 5 minutes: their segments wait in the spool's dead/ folder, unbilled, until someone delivers them (the byte cap drops them first). The gateway's log says what was refused.",
  },
  {
    alert: 'CellportGatewayCircuitOpen',
    // A dead upstream's breaker lets a probe through every open period, half-open meanwhile:
    // a scrape that catches the probe must not start the 5 minutes again.
    expr: cell =>
      `max by (model) (max_over_time(cellport_gateway_circuit_state{cell="${cell}",state="open"}[1m])) == 1`,
    for: '5m',
    severity: 'P2',
    summary: cell => `A model profile's circuit is open in cell ${cell}`,
    description:
      "For 5 minutes the circuit breaker of the model profile in the alert's model label has been open: its upstream fails, and its requests go to fallbacks or fail (the availability SLO's alerts say whether tenants notice).",
  },
];

/** The cell's operational alerts on its gateway, labelled and linked as its SLO alerts are. */
export function renderGatewayAlertGroup(options: {
  cell: CellEntity;
  portalBaseUrl: string;
}): PrometheusRuleGroup {
  const { cell } = options;
  const name = cell.metadata.name;
  const tenant = cellSloTenant(cell);
  const dashboard = cellDashboardUrl(options.portalBaseUrl, name);
  return {
    name: `cellport-gateway-${name}`,
    rules: GATEWAY_ALERTS.map(alert => ({
      alert: alert.alert,
      expr: alert.expr(name),
      ...(alert.for ? { for: alert.for } : {}),
      labels: {
        cell: name,
        service: 'ai-gateway',
        ...(tenant ? { tenant } : {}),
        owner: cell.spec.owner,
        severity: alert.severity,
        route: SEVERITY_ROUTES[alert.severity],
      },
      annotations: {
        summary: alert.summary(name),
        description: alert.description,
        dashboard,
      },
    })),
  };
}
