import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { amtool } from './__testUtils__/promtool';
import {
  renderAlertmanagerConfig,
  renderAlertmanagerConfigYaml,
} from './renderAlertmanagerConfig';

const WEBHOOK = 'https://portal.example.com/api/platform/alerts/alertmanager';

describe('renderAlertmanagerConfig', () => {
  let tmp: string;
  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cellport-alertmanager-'));
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  const write = (name: string, text: string) => {
    const file = path.join(tmp, name);
    fs.writeFileSync(file, text);
    return file;
  };

  /** The receiver amtool routes an alert with these labels to. */
  const routeOf = (config: string, labels: string[]) => {
    const out = amtool([
      'config',
      'routes',
      'test',
      `--config.file=${config}`,
      ...labels,
    ]);
    return out.stdout.trim();
  };

  it('passes amtool check-config, with and without a credentials file', () => {
    for (const options of [
      { webhookUrl: WEBHOOK },
      {
        webhookUrl: WEBHOOK,
        webhookCredentialsFile: '/etc/alertmanager/portal-token',
      },
    ]) {
      const file = write(
        'alertmanager.yaml',
        renderAlertmanagerConfigYaml(options),
      );
      const out = amtool(['check-config', file]);
      expect(out.output).toContain('SUCCESS');
      expect(out.status).toBe(0);
    }
    // And the configuration under deploy/ (kept equal to the renderer by the deploy/ test).
    const deployed = path.resolve(
      __dirname,
      '../../../../../deploy/alertmanager/alertmanager.yaml',
    );
    expect(amtool(['check-config', deployed]).status).toBe(0);
    // The check is real: a route to a receiver that does not exist fails it.
    const broken = renderAlertmanagerConfig({ webhookUrl: WEBHOOK }) as any;
    broken.route.routes[0].receiver = 'nobody';
    expect(
      amtool(['check-config', write('broken.yaml', stringify(broken))]).status,
    ).not.toBe(0);
  });

  it("routes seed 004's severities: P0 and P1 page, P2 tickets, P3 the dashboard only", () => {
    const config = write(
      'alertmanager.yaml',
      renderAlertmanagerConfigYaml({ webhookUrl: WEBHOOK }),
    );
    const alert = [
      'alertname=CellportSloFastBurn',
      'cell=eu-1',
      'slo=gateway-availability',
    ];
    expect(routeOf(config, [...alert, 'severity=P0'])).toBe('cellport-page');
    expect(routeOf(config, [...alert, 'severity=P1'])).toBe('cellport-page');
    expect(routeOf(config, [...alert, 'severity=P2'])).toBe('cellport-ticket');
    expect(routeOf(config, [...alert, 'severity=P3'])).toBe(
      'cellport-dashboard',
    );
    // Without a known severity an alert still shows, on the dashboard.
    expect(routeOf(config, [...alert, 'severity=urgent'])).toBe(
      'cellport-dashboard',
    );
  });

  it("posts every receiver's alerts, resolved ones too, to the portal's webhook", () => {
    const config = renderAlertmanagerConfig({
      webhookUrl: WEBHOOK,
      webhookCredentialsFile: '/run/secrets/portal-token',
    }) as any;
    expect(config.receivers.map((r: any) => r.name)).toEqual([
      'cellport-page',
      'cellport-ticket',
      'cellport-dashboard',
    ]);
    for (const receiver of config.receivers) {
      expect(receiver.webhook_configs).toEqual([
        {
          url: WEBHOOK,
          send_resolved: true,
          http_config: {
            authorization: {
              type: 'Bearer',
              credentials_file: '/run/secrets/portal-token',
            },
          },
        },
      ]);
    }
    // A faster burn of one SLO holds back its slower burns: one incident, one page.
    expect(config.inhibit_rules[0]).toEqual({
      source_matchers: ['severity="P0"'],
      target_matchers: ['severity=~"P1|P2|P3"'],
      equal: ['cell', 'slo'],
    });
  });
});
