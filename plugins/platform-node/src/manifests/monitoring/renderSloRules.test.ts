import {
  BURN_RATE_ALERTS,
  CellEntity,
  cellServiceSlos,
  cellSloTenant,
  SLI_WINDOWS,
} from '@cellport/plugin-platform-common';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { validateManifests } from '../validateManifests';
import {
  sloAlertTests,
  syntheticSeries,
} from './__testUtils__/sloRuleUnitTests';
import { demoCell, demoCells, REPO_ROOT } from './__testUtils__/demoCells';
import { promtool } from './__testUtils__/promtool';
import {
  renderSloPrometheusRule,
  renderSloRuleFile,
  renderSloRuleGroups,
} from './renderSloRules';

// promtool runs hundreds of rule evaluations per cell; a loaded CI machine needs the room.
jest.setTimeout(300_000);

const PORTAL = 'https://portal.example.com/';
const cells = demoCells();
const meridian = demoCell('meridian-dedicated');

describe('renderSloRules', () => {
  let tmp: string;
  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cellport-slo-rules-'));
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('records every SLO over every window and alerts on three burn rates', () => {
    const [group] = renderSloRuleGroups({
      cell: meridian,
      portalBaseUrl: PORTAL,
    });
    const slos = cellServiceSlos(meridian);
    expect(group.name).toBe('cellport-slo-meridian-dedicated');
    const records = group.rules.filter(r => 'record' in r);
    const alerts = group.rules.filter(r => 'alert' in r);
    expect(records).toHaveLength(slos.length * SLI_WINDOWS.length);
    expect(alerts).toHaveLength(slos.length * BURN_RATE_ALERTS.length);
    // Seed 001's services: meridian's own spec.slos leave the router without an objective.
    expect(new Set(alerts.map(a => a.labels.service)).size).toBe(8);

    const fast = alerts.find(
      a =>
        'alert' in a &&
        a.alert === 'CellportSloFastBurn' &&
        a.labels.slo === 'gateway-availability',
    )!;
    expect(fast).toMatchObject({
      expr:
        'cellport_slo:sli_error:ratio_rate1h{cell="meridian-dedicated",service="ai-gateway",slo="gateway-availability"} > (14.4 * (1 - 0.9999))' +
        ' and cellport_slo:sli_error:ratio_rate5m{cell="meridian-dedicated",service="ai-gateway",slo="gateway-availability"} > (14.4 * (1 - 0.9999))',
      labels: {
        cell: 'meridian-dedicated',
        tenant: 'meridian-bank',
        service: 'ai-gateway',
        slo: 'gateway-availability',
        owner: 'group:platform-sre',
        severity: 'P0',
        route: 'page',
      },
      annotations: {
        dashboard:
          'https://portal.example.com/catalog/default/cell/meridian-dedicated/dashboard',
      },
    });
    const ticket = alerts.find(
      a => 'alert' in a && a.alert === 'CellportSloSlowBurn',
    )!;
    expect(ticket.labels).toMatchObject({ severity: 'P2', route: 'ticket' });
    expect(ticket.expr).toContain('ratio_rate3d');
    expect(ticket.expr).toContain('ratio_rate6h');
  });

  it("reads the gateway's counters for its availability, and interpolates a threshold between buckets", () => {
    const [group] = renderSloRuleGroups({
      cell: meridian,
      portalBaseUrl: PORTAL,
    });
    const expr = (slo: string, window: string) =>
      group.rules.find(
        r =>
          'record' in r &&
          r.labels.slo === slo &&
          r.record.endsWith(`rate${window}`),
      )!.expr;
    expect(expr('gateway-availability', '5m')).toBe(
      '1 - (sum(rate(cellport_gateway_sli_requests_total{cell="meridian-dedicated",outcome!="error"}[5m]))' +
        ' / sum(rate(cellport_gateway_sli_requests_total{cell="meridian-dedicated"}[5m])))',
    );
    // 200 ms lies halfway between the overhead histogram's 0.1 and 0.3 buckets.
    expect(expr('gateway-overhead-p95', '1h')).toContain(
      '* 0.5) / sum(rate(cellport_gateway_overhead_seconds_count{cell="meridian-dedicated"}[1h]))',
    );
    expect(expr('memory-service-latency', '30m')).toBe(
      '1 - (sum(rate(cellport_memory_service_request_duration_seconds_bucket{cell="meridian-dedicated",le="0.2",operation="recall"}[30m]))' +
        ' / sum(rate(cellport_memory_service_request_duration_seconds_count{cell="meridian-dedicated",operation="recall"}[30m])))',
    );
  });

  it('renders a PrometheusRule that its CRD schema accepts, and refuses a broken one', () => {
    for (const cell of cells) {
      const rule = renderSloPrometheusRule({ cell, portalBaseUrl: PORTAL });
      expect(rule.metadata.labels).toMatchObject({
        'cellport.dev/cell': cell.metadata.name,
      });
      expect(validateManifests([rule])).toEqual([]);
    }
    const rule = renderSloPrometheusRule({
      cell: meridian,
      portalBaseUrl: PORTAL,
    });
    const broken = {
      ...rule,
      spec: { groups: [{ name: 'x', rules: [{ record: 'y' }] }] },
    };
    expect(validateManifests([broken])).toEqual([
      expect.objectContaining({
        object: 'PrometheusRule/cellport-slo-meridian-dedicated',
      }),
    ]);
  });

  it('writes rule files that promtool accepts, for every demo cell', () => {
    const files = cells.map(cell => {
      const file = path.join(tmp, `${cell.metadata.name}.rules.yaml`);
      fs.writeFileSync(
        file,
        renderSloRuleFile({ cell, portalBaseUrl: PORTAL }),
      );
      return file;
    });
    // And the rule files under deploy/ (kept equal to the renderer by the deploy/ test).
    const deployed = cells.map(cell =>
      path.join(
        REPO_ROOT,
        'deploy/cells',
        cell.metadata.name,
        'prometheus-rules.yaml',
      ),
    );
    const out = promtool(['check', 'rules', ...files, ...deployed]);
    expect(out.status).toBe(0);
    expect(out.output).toContain('SUCCESS');
    // The same check fails a rule file with a broken expression, so it is not a formality.
    const broken = path.join(tmp, 'broken.rules.yaml');
    fs.writeFileSync(
      broken,
      stringify({
        groups: [
          { name: 'g', rules: [{ record: 'r', expr: 'sum(rate(x[5m])' }] },
        ],
      }),
    );
    expect(promtool(['check', 'rules', broken]).status).not.toBe(0);
  });

  it.each(cells.map(c => [c.metadata.name, c] as const))(
    "fires each alert of %s's SLOs when it must and only then (promtool test rules)",
    (name, cell) => {
      const options = { cell, portalBaseUrl: PORTAL };
      const rules = path.join(tmp, `${name}.rules.yaml`);
      fs.writeFileSync(rules, renderSloRuleFile(options));
      const tests = sloAlertTests(
        cellServiceSlos(cell),
        { cell: name, tenant: cellSloTenant(cell) },
        renderSloRuleGroups(options),
      );
      const file = path.join(tmp, `${name}.tests.yaml`);
      fs.writeFileSync(
        file,
        stringify({ rule_files: [rules], evaluation_interval: '1m', tests }),
      );
      const out = promtool(['test', 'rules', file]);
      expect(out.output).toContain('SUCCESS');
      expect(out.status).toBe(0);
    },
  );

  it("never pages for one service's burn on another's alert, even where their objectives share a name", () => {
    // The Cell schema refuses such a name; the rules must not mix the two even so.
    const shared = 'conversation-manager-availability';
    const cell: CellEntity = {
      ...meridian,
      spec: {
        ...meridian.spec,
        slos: [
          {
            name: shared,
            indicator: 'availability',
            target: 0.9995,
            window: '28d',
          },
        ],
      },
    };
    const options = { cell, portalBaseUrl: PORTAL };
    const rules = path.join(tmp, 'shared-name.rules.yaml');
    fs.writeFileSync(rules, renderSloRuleFile(options));
    const slos = cellServiceSlos(cell).filter(s => s.name === shared);
    expect(slos.map(s => s.service)).toEqual([
      'conversation-manager',
      'ai-gateway',
    ]);
    // The Conversation Manager fails 20x its budget; the gateway serves every request.
    const badShare = (service: string) => (service === 'ai-gateway' ? 0 : 0.01);
    const page = renderSloRuleGroups(options)[0].rules.find(
      r =>
        'alert' in r &&
        r.alert === 'CellportSloFastBurn' &&
        r.labels.service === 'conversation-manager',
    )!;
    const file = path.join(tmp, 'shared-name.tests.yaml');
    fs.writeFileSync(
      file,
      stringify({
        rule_files: [rules],
        evaluation_interval: '1m',
        tests: [
          {
            interval: '1m',
            input_series: slos.flatMap(slo =>
              syntheticSeries(slo, cell.metadata.name, [
                { minutes: 12, badShare: badShare(slo.service) },
              ]),
            ),
            alert_rule_test: [
              {
                eval_time: '10m',
                alertname: 'CellportSloFastBurn',
                exp_alerts: [
                  {
                    exp_labels: page.labels,
                    exp_annotations:
                      'annotations' in page ? page.annotations : {},
                  },
                ],
              },
            ],
          },
        ],
      }),
    );
    const out = promtool(['test', 'rules', file]);
    expect(out.output).toContain('SUCCESS');
    expect(out.status).toBe(0);
  });

  it('fails a promtool test whose alert does not fire, so the passing ones mean something', () => {
    const options = { cell: meridian, portalBaseUrl: PORTAL };
    const rules = path.join(tmp, 'meridian.rules.yaml');
    fs.writeFileSync(rules, renderSloRuleFile(options));
    const [fastBurn] = sloAlertTests(
      cellServiceSlos(meridian),
      { cell: 'meridian-dedicated', tenant: 'meridian-bank' },
      renderSloRuleGroups(options),
    ) as any[];
    // Claim the slow burn's alert stays silent in a fast burn: promtool must say it fires.
    const lying = {
      ...fastBurn,
      alert_rule_test: fastBurn.alert_rule_test.map((t: any) =>
        t.alertname === 'CellportSloSlowBurn' ? { ...t, exp_alerts: [] } : t,
      ),
    };
    const file = path.join(tmp, 'lying.tests.yaml');
    fs.writeFileSync(
      file,
      stringify({
        rule_files: [rules],
        evaluation_interval: '1m',
        tests: [lying],
      }),
    );
    const out = promtool(['test', 'rules', file]);
    expect(out.status).not.toBe(0);
    expect(out.output).toContain('CellportSloSlowBurn');
  });

  it('names the Debian package to install when promtool is missing', () => {
    const path_ = process.env.PATH;
    process.env.PATH = tmp;
    try {
      expect(() => promtool(['--version'])).toThrow(
        "promtool is not installed: the test command installs Debian's prometheus package; run `apt-get install prometheus`",
      );
    } finally {
      process.env.PATH = path_;
    }
  });

  it("writes the cell's SLO group and its gateway's alerts, readable as a plain rule file", () => {
    const text = renderSloRuleFile({ cell: meridian, portalBaseUrl: PORTAL });
    expect(parse(text).groups.map((g: { name: string }) => g.name)).toEqual([
      'cellport-slo-meridian-dedicated',
      'cellport-gateway-meridian-dedicated',
    ]);
    // Written out in full: a YAML anchor would not survive every consumer.
    expect(text).not.toMatch(/[&*]a\d+/);
  });
});
