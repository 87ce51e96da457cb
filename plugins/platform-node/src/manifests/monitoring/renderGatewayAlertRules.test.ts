import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { validateManifests } from '../validateManifests';
import { demoCell, REPO_ROOT } from './__testUtils__/demoCells';
import { promtool } from './__testUtils__/promtool';
import { renderGatewayAlertGroup } from './renderGatewayAlertRules';
import { renderSloPrometheusRule, renderSloRuleFile } from './renderSloRules';

// promtool evaluates every rule of the cell's file at each step.
jest.setTimeout(120_000);

const PORTAL = 'https://portal.example.com/';
const CELL = 'meridian-dedicated';
const meridian = demoCell(CELL);
const group = renderGatewayAlertGroup({
  cell: meridian,
  portalBaseUrl: PORTAL,
});

/** An alert as promtool expects it to fire: the rule's labels and its own (static) text. */
function firing(alert: string, seriesLabels: Record<string, string> = {}) {
  const rule = group.rules.find(r => 'alert' in r && r.alert === alert);
  if (!rule || !('annotations' in rule)) throw new Error(`no alert ${alert}`);
  return {
    exp_labels: { ...seriesLabels, ...rule.labels },
    exp_annotations: rule.annotations,
  };
}

/**
 * One promtool unit test: `series` sampled every `interval`, and at each `checks` time the
 * alerts of `alert` that fire (none for an empty list).
 */
function scenario(
  alert: string,
  series: Record<string, string>,
  checks: Array<[evalTime: string, alerts: object[]]>,
  interval = '1m',
) {
  return {
    interval,
    input_series: Object.entries(series).map(([name, values]) => ({
      series: name,
      values,
    })),
    alert_rule_test: checks.map(([evalTime, alerts]) => ({
      eval_time: evalTime,
      alertname: alert,
      exp_alerts: alerts,
    })),
  };
}

const up = (cell: string, pod: string) =>
  `up{cell="${cell}",job="cellport-gateway",pod="${pod}"}`;
const at = (metric: string, pod = 'gw-a', extra = '') =>
  `${metric}{cell="${CELL}",pod="${pod}"${extra}}`;

describe("the gateway's operational alerts", () => {
  let tmp: string;
  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cellport-gateway-alerts-'));
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it("are labelled and linked as the cell's SLO alerts, in its rule file and PrometheusRule", () => {
    expect(group.name).toBe(`cellport-gateway-${CELL}`);
    expect(group.rules.map(r => 'alert' in r && r.alert)).toEqual([
      'CellportGatewayDown',
      'CellportGatewayEventsDropped',
      'CellportGatewaySpoolFilling',
      'CellportGatewayEventsDeadLettered',
      'CellportGatewayCircuitOpen',
    ]);
    expect(firing('CellportGatewayEventsDropped')).toEqual({
      exp_labels: {
        cell: CELL,
        service: 'ai-gateway',
        tenant: 'meridian-bank',
        owner: 'group:platform-sre',
        severity: 'P1',
        route: 'page',
      },
      exp_annotations: {
        summary: `Gateways of cell ${CELL} dropped usage events`,
        description: expect.stringContaining('never billed'),
        dashboard: `https://portal.example.com/catalog/default/cell/${CELL}/dashboard`,
      },
    });
    const severities = Object.fromEntries(
      group.rules.map(r => ['alert' in r && r.alert, r.labels.severity]),
    );
    expect(severities).toEqual({
      CellportGatewayDown: 'P0',
      CellportGatewayEventsDropped: 'P1',
      CellportGatewaySpoolFilling: 'P1',
      CellportGatewayEventsDeadLettered: 'P2',
      CellportGatewayCircuitOpen: 'P2',
    });

    const options = { cell: meridian, portalBaseUrl: PORTAL };
    expect(parse(renderSloRuleFile(options)).groups).toContainEqual(group);
    const rule = renderSloPrometheusRule(options);
    expect((rule.spec as { groups: unknown[] }).groups).toContainEqual(group);
    expect(validateManifests([rule])).toEqual([]);
  });

  it('selects the job the rendered ServiceMonitor gives the gateway', () => {
    // prometheus-operator names a ServiceMonitor's job after the Service it selects.
    const monitoring = parseAllDocuments(
      fs.readFileSync(
        path.join(REPO_ROOT, 'deploy/cells', CELL, 'monitoring.yaml'),
        'utf8',
      ),
    ).map(doc => doc.toJS());
    const monitor = monitoring.find(
      m =>
        m.kind === 'ServiceMonitor' &&
        m.metadata.labels['app.kubernetes.io/component'] === 'gateway',
    );
    expect(monitor.spec.jobLabel).toBeUndefined();
    const service = parseAllDocuments(
      fs.readFileSync(
        path.join(REPO_ROOT, 'deploy/cells', CELL, 'manifests.yaml'),
        'utf8',
      ),
    )
      .map(doc => doc.toJS())
      .find(
        m =>
          m.kind === 'Service' &&
          m.metadata.labels['app.kubernetes.io/component'] === 'gateway',
      );
    expect(group.rules[0].expr).toContain(`job="${service.metadata.name}"`);
  });

  it('fire when they must and only then (promtool test rules)', () => {
    const rules = path.join(tmp, `${CELL}.rules.yaml`);
    fs.writeFileSync(
      rules,
      renderSloRuleFile({ cell: meridian, portalBaseUrl: PORTAL }),
    );
    const tests = [
      // Two replicas up, then both down from minute 3: it pages 2 minutes on. Another cell's
      // gateway, up all along, does not keep it silent.
      scenario(
        'CellportGatewayDown',
        {
          [up(CELL, 'gw-a')]: '1 1 1 0x10',
          [up(CELL, 'gw-b')]: '1 1 1 1 0x10',
          [up('eu-west-shared-1', 'gw-c')]: '1x14',
        },
        [
          ['2m', []],
          ['5m', []],
          ['7m', [firing('CellportGatewayDown')]],
        ],
      ),
      // No replica ever scraped: absent, it pages as well.
      scenario(
        'CellportGatewayDown',
        { [up('eu-west-shared-1', 'gw-c')]: '1x5' },
        [['3m', [firing('CellportGatewayDown')]]],
      ),
      // A fresh replica's counter starts at 0 and its first drop is counted; another
      // replica's quiet counter changes nothing. Silent again once 5 minutes are past.
      scenario(
        'CellportGatewayEventsDropped',
        {
          [at('cellport_gateway_events_dropped_total')]: '0 0 0 0 12x10',
          [at('cellport_gateway_events_dropped_total', 'gw-b')]: '0x14',
        },
        [
          ['3m', []],
          ['5m', [firing('CellportGatewayEventsDropped')]],
          ['12m', []],
        ],
      ),
      // A replica that started with events dropped already (its spool over its cap at start):
      // its first sample is above 0, which increase() alone never counts.
      scenario(
        'CellportGatewayEventsDropped',
        {
          [at('cellport_gateway_events_dropped_total', 'gw-new')]: '_x3 40x10',
          [at('cellport_gateway_events_dropped_total', 'gw-b')]: '0x14',
        },
        [
          ['2m', []],
          ['4m', [firing('CellportGatewayEventsDropped')]],
          ['12m', []],
        ],
      ),
      scenario(
        'CellportGatewayEventsDeadLettered',
        { [at('cellport_gateway_events_dead_lettered_total')]: '0 0 0 1x10' },
        [
          ['2m', []],
          ['4m', [firing('CellportGatewayEventsDeadLettered')]],
        ],
      ),
      // Over 0.8 from minute 3: it pages once that held 5 minutes.
      scenario(
        'CellportGatewaySpoolFilling',
        {
          [at('cellport_gateway_spool_fill_ratio')]: '0.5 0.7 0.8 0.85x12',
          [at('cellport_gateway_spool_fill_ratio', 'gw-b')]: '0.1x15',
        },
        [
          ['2m', []],
          ['7m', []],
          ['9m', [firing('CellportGatewaySpoolFilling')]],
        ],
      ),
      // Scraped every 15 s: eu-large's circuit is open from the start, half-open at two
      // scrapes (its probes); eu-small's never opens.
      scenario(
        'CellportGatewayCircuitOpen',
        {
          [at(
            'cellport_gateway_circuit_state',
            'gw-a',
            ',model="eu-large",state="open"',
          )]: '1x7 0 1x11 0 1x20',
          [at(
            'cellport_gateway_circuit_state',
            'gw-a',
            ',model="eu-small",state="open"',
          )]: '0x40',
        },
        [
          ['4m', []],
          ['6m', [firing('CellportGatewayCircuitOpen', { model: 'eu-large' })]],
        ],
        '15s',
      ),
    ];
    const file = path.join(tmp, 'gateway.tests.yaml');
    fs.writeFileSync(
      file,
      stringify({ rule_files: [rules], evaluation_interval: '15s', tests }),
    );
    const out = promtool(['test', 'rules', file]);
    expect(out.output).toContain('SUCCESS');
    expect(out.status).toBe(0);
  });
});
