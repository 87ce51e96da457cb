import {
  BURN_RATE_ALERTS,
  CellEntity,
  cellDashboardUrl,
  cellServiceSlos,
  cellSloTenant,
  KUBERNETES_ID_ANNOTATION,
  runtimeService,
  SEVERITY_ROUTES,
  ServiceSlo,
  SLI_WINDOWS,
  sliErrorRatioQuery,
  SliWindow,
} from '@cellport/plugin-platform-common';
import { stringify } from 'yaml';
import { platformLabels, RUNTIME_NAMESPACE } from '../labels';
import { Manifest } from '../types';
import { SHARED_GATEWAY_NAMESPACE } from '../cell/renderCellManifests';
import { renderGatewayAlertGroup } from './renderGatewayAlertRules';

/** A Prometheus recording or alerting rule, as a rule file holds it. */
export type PrometheusRuleEntry =
  | { record: string; expr: string; labels: Record<string, string> }
  | {
      alert: string;
      expr: string;
      /** How long the expression must hold before the alert fires; at once without. */
      for?: string;
      labels: Record<string, string>;
      annotations: Record<string, string>;
    };

export interface PrometheusRuleGroup {
  name: string;
  rules: PrometheusRuleEntry[];
}

export interface SloRuleOptions {
  /** A validated Cell (defaults applied). */
  cell: CellEntity;
  /** The portal's `app.baseUrl`: alerts link the cell's dashboard under it. */
  portalBaseUrl: string;
}

/** The series each SLO's error ratio over `window` is recorded as. */
export function sliErrorRatioRecord(window: SliWindow): string {
  return `cellport_slo:sli_error:ratio_rate${window}`;
}

const percent = (fraction: number) =>
  `${Number((fraction * 100).toPrecision(4))}%`;

function describeObjective(slo: ServiceSlo): string {
  const share = percent(slo.target);
  return slo.indicator === 'latency' && slo.thresholdMs !== undefined
    ? `${share} of requests within ${slo.thresholdMs} ms over ${slo.window}`
    : `${share} of requests not failed over ${slo.window}`;
}

function sloRules(
  slo: ServiceSlo,
  cell: CellEntity,
  dashboard: string,
): PrometheusRuleEntry[] {
  const name = cell.metadata.name;
  const seriesLabels = { cell: name, service: slo.service, slo: slo.name };
  const records = SLI_WINDOWS.map(window => ({
    record: sliErrorRatioRecord(window),
    expr: sliErrorRatioQuery(slo, name, window),
    labels: { ...seriesLabels },
  }));
  const tenant = cellSloTenant(cell);
  const title = runtimeService(slo.service).title;
  // Every label of the series: an objective of another service under the same name must
  // never be read as this one's.
  const ratio = (window: SliWindow) =>
    `${sliErrorRatioRecord(window)}{cell="${name}",service="${
      slo.service
    }",slo="${slo.name}"}`;
  const alerts = BURN_RATE_ALERTS.map(policy => {
    const threshold = `(${policy.burnRate} * (1 - ${slo.target}))`;
    return {
      alert: policy.alert,
      expr: `${ratio(policy.longWindow)} > ${threshold} and ${ratio(
        policy.shortWindow,
      )} > ${threshold}`,
      labels: {
        ...seriesLabels,
        ...(tenant ? { tenant } : {}),
        owner: slo.owner,
        severity: policy.severity,
        route: SEVERITY_ROUTES[policy.severity],
      },
      annotations: {
        summary: `${title} in cell ${name} burns the error budget of ${slo.name} ${policy.burnRate}x too fast`,
        // Static text: the firing value is on the dashboard the alert links.
        description: `Objective: ${describeObjective(
          slo,
        )}. Its error ratio is above ${percent(
          policy.burnRate * (1 - slo.target),
        )} (${policy.burnRate}x its budget) over both ${
          policy.longWindow
        } and ${policy.shortWindow}: ${policy.budgetSpent}.`,
        dashboard,
      },
    };
  });
  return [...records, ...alerts];
}

/**
 * A cell's SLO rules: for every objective of its runtime services (`cellServiceSlos`), its
 * SLI error ratio recorded over each burn-rate window, and the multi-window, multi-burn-rate
 * alerts of `BURN_RATE_ALERTS`, labelled with the cell, its tenant (single-tenant cells),
 * service, objective, owner and seed 004 severity, and linking the cell's portal dashboard.
 * One group per cell, so its recordings are evaluated before the alerts that read them.
 */
export function renderSloRuleGroups(
  options: SloRuleOptions,
): PrometheusRuleGroup[] {
  const { cell } = options;
  const dashboard = cellDashboardUrl(options.portalBaseUrl, cell.metadata.name);
  return [
    {
      name: `cellport-slo-${cell.metadata.name}`,
      rules: cellServiceSlos(cell).flatMap(slo =>
        sloRules(slo, cell, dashboard),
      ),
    },
  ];
}

/** The cell's rules: its SLOs', then its gateway's operational alerts. */
function cellRuleGroups(options: SloRuleOptions): PrometheusRuleGroup[] {
  return [...renderSloRuleGroups(options), renderGatewayAlertGroup(options)];
}

/** The cell's rules as a plain Prometheus rule file (`rule_files:` of prometheus.yml). */
export function renderSloRuleFile(options: SloRuleOptions): string {
  return stringify(
    { groups: cellRuleGroups(options) },
    { lineWidth: 0, sortMapEntries: false },
  );
}

/**
 * The cell's rules as a prometheus-operator `PrometheusRule`, in the namespace of the cell's gateway
 * beside its ServiceMonitor.
 */
export function renderSloPrometheusRule(options: SloRuleOptions): Manifest {
  const { cell } = options;
  const name = cell.metadata.name;
  return {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PrometheusRule',
    metadata: {
      name: `cellport-slo-${name}`,
      namespace:
        cell.spec.tier === 'shared'
          ? SHARED_GATEWAY_NAMESPACE
          : RUNTIME_NAMESPACE,
      labels: platformLabels({
        cell: name,
        kubernetesId:
          cell.metadata.annotations?.[KUBERNETES_ID_ANNOTATION] ?? name,
        component: 'slo-rules',
      }),
    },
    spec: { groups: cellRuleGroups(options) },
  };
}
