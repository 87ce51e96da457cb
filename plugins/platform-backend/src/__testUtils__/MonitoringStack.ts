import {
  CellEntity,
  alertmanagerWebhookUrl,
} from '@cellport/plugin-platform-common';
import {
  GATEWAY_SCRAPE_JOB,
  renderAlertmanagerConfig,
  writeSloRuleFiles,
} from '@cellport/plugin-platform-node';
import fs from 'node:fs';
import path from 'node:path';
import { freePort, startTestProcess, TestProcess } from './testProcess';

/** Debian's binaries, and the package each comes from, for a clear failure when one is missing. */
export const PROMETHEUS_BINARY = {
  path: process.env.CELLPORT_TEST_PROMETHEUS ?? '/usr/bin/prometheus',
  debianPackage: 'prometheus',
};
export const ALERTMANAGER_BINARY = {
  path:
    process.env.CELLPORT_TEST_ALERTMANAGER ??
    '/usr/bin/prometheus-alertmanager',
  debianPackage: 'prometheus-alertmanager',
};

/** Throws, naming the Debian package, when a binary is not installed. */
export function requireBinary(binary: { path: string; debianPackage: string }) {
  if (!fs.existsSync(binary.path)) {
    throw new Error(
      `${binary.path} is missing: install Debian's ${binary.debianPackage} package (apt-get install ${binary.debianPackage}); npm test installs it when it can`,
    );
  }
}

export interface MonitoringStackOptions {
  /** A working directory of the test's own. */
  dir: string;
  /** The cells whose generated SLO rules Prometheus loads. */
  cells: CellEntity[];
  /** Scrape targets (`host:port`), each with the `cell` label a ServiceMonitor would add. */
  targets: Array<{ address: string; cell: string }>;
  /** The portal backend Alertmanager posts to, and the token its webhook expects. */
  backendBaseUrl: string;
  webhookToken: string;
}

/**
 * Debian's Prometheus and Alertmanager, configured as production is (the generated SLO rule
 * files, the rendered Alertmanager configuration) but fast: scraping and evaluating every
 * second, and Alertmanager sending a new group after one second instead of thirty.
 */
export class MonitoringStack {
  prometheusUrl = '';
  alertmanagerUrl = '';
  private processes: TestProcess[] = [];
  private prometheus?: TestProcess;

  constructor(private readonly options: MonitoringStackOptions) {}

  async start(): Promise<void> {
    requireBinary(PROMETHEUS_BINARY);
    requireBinary(ALERTMANAGER_BINARY);
    const { dir } = this.options;
    const [promPort, amPort] = [await freePort(), await freePort()];
    this.prometheusUrl = `http://127.0.0.1:${promPort}`;
    this.alertmanagerUrl = `http://127.0.0.1:${amPort}`;

    const credentials = path.join(dir, 'webhook-token');
    fs.writeFileSync(credentials, this.options.webhookToken, { mode: 0o600 });
    const alertmanagerConfig = renderAlertmanagerConfig({
      webhookUrl: alertmanagerWebhookUrl(this.options.backendBaseUrl),
      webhookCredentialsFile: credentials,
    });
    const route = alertmanagerConfig.route as Record<string, unknown>;
    route.group_wait = '1s';
    route.group_interval = '1s';
    const amConfig = path.join(dir, 'alertmanager.yml');
    // JSON is YAML: both read it as their configuration.
    fs.writeFileSync(amConfig, JSON.stringify(alertmanagerConfig, null, 2));
    this.processes.push(
      await startTestProcess(
        ALERTMANAGER_BINARY.path,
        [
          `--config.file=${amConfig}`,
          `--storage.path=${path.join(dir, 'alertmanager-data')}`,
          `--web.listen-address=127.0.0.1:${amPort}`,
          // One instance: no gossip port to collide with other tests.
          '--cluster.listen-address=',
        ],
        { ready: /Listening|listening/ },
      ),
    );

    const rulesDir = path.join(dir, 'rules');
    writeSloRuleFiles({
      cells: this.options.cells,
      portalBaseUrl: 'http://localhost:3000',
      dir: rulesDir,
    });
    const promConfig = path.join(dir, 'prometheus.yml');
    fs.writeFileSync(
      promConfig,
      JSON.stringify(
        {
          global: { scrape_interval: '1s', evaluation_interval: '1s' },
          rule_files: [path.join(rulesDir, '*.rules.yaml')],
          alerting: {
            alertmanagers: [
              { static_configs: [{ targets: [`127.0.0.1:${amPort}`] }] },
            ],
          },
          scrape_configs: this.options.targets.map((target, i) => ({
            job_name: `gateway-${i}`,
            static_configs: [
              {
                targets: [target.address],
                // The job a ServiceMonitor gives the gateway: its alert on no replica up reads it.
                labels: { cell: target.cell, job: GATEWAY_SCRAPE_JOB },
              },
            ],
          })),
        },
        null,
        2,
      ),
    );
    this.prometheus = await startTestProcess(
      PROMETHEUS_BINARY.path,
      [
        `--config.file=${promConfig}`,
        `--storage.tsdb.path=${path.join(dir, 'prometheus-data')}`,
        `--web.listen-address=127.0.0.1:${promPort}`,
        // Alerts are re-sent every second and expire four seconds after the last one, so
        // Alertmanager resolves an alert Prometheus stops sending within seconds.
        '--rules.alert.resend-delay=1s',
      ],
      { ready: /Server is ready to receive web requests/ },
    );
    this.processes.push(this.prometheus);
  }

  /** Stops Prometheus alone: its alerts stop arriving, and Alertmanager resolves them. */
  async stopPrometheus(): Promise<void> {
    await this.prometheus?.kill();
  }

  /** Both processes' output, for a failure message. */
  output(): string {
    return this.processes.map(p => p.output().slice(-4000)).join('\n---\n');
  }

  async stop(): Promise<void> {
    await Promise.all(this.processes.map(p => p.kill()));
    this.processes = [];
  }
}
