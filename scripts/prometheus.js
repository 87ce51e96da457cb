#!/usr/bin/env node
// Runs Debian's Prometheus (and Alertmanager, when installed) against `npm start`'s runtime with
// the configuration the renderer generates: the demo cells' SLO rule files (writeSloRuleFiles),
// a scrape of each demo cell's local gateway labelled with its `cell` (what the ServiceMonitors
// add in a cluster), and Alertmanager's rendered routes posting to the portal's alert webhook.
//
//   node scripts/prometheus.js         Prometheus on http://127.0.0.1:9090 (Alertmanager :9093)
//
// Alertmanager posts with the bearer token in CELLPORT_ALERT_WEBHOOK_TOKEN, which the portal
// must know as `platform.alerts.webhookToken` (e.g. in app-config.local.yaml). Everything it
// writes lives under data/prometheus/.
'use strict';

const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { parseAllDocuments } = require('yaml');
const { demoLayout } = require('./demo-environment');

// The renderer is TypeScript: load it as the backend does in development.
require('@backstage/cli-node/config/nodeTransform.cjs');
const {
  alertmanagerWebhookUrl,
  cellEntitySchema,
} = require('../plugins/platform-common/src');
const {
  GATEWAY_SCRAPE_JOB,
  renderAlertmanagerConfig,
  writeSloRuleFiles,
} = require('../plugins/platform-node/src');

const repo = path.resolve(__dirname, '..');
const PROMETHEUS = process.env.CELLPORT_PROMETHEUS ?? 'prometheus';
const ALERTMANAGER =
  process.env.CELLPORT_ALERTMANAGER ?? 'prometheus-alertmanager';

const installed = command =>
  spawnSync(command, ['--version'], { stdio: 'ignore' }).status === 0;

function main() {
  if (!installed(PROMETHEUS)) {
    console.error(
      `${PROMETHEUS} is not installed: apt-get install prometheus (Debian), then run again.`,
    );
    process.exit(1);
  }
  const layout = demoLayout(repo);
  const dir = path.join(repo, 'data', 'prometheus');
  fs.mkdirSync(dir, { recursive: true });

  const cells = parseAllDocuments(
    fs.readFileSync(path.join(repo, 'examples', 'cells.yaml'), 'utf8'),
  ).map(doc => cellEntitySchema.parse(doc.toJS()));
  const rulesDir = path.join(dir, 'rules');
  const ruleFiles = writeSloRuleFiles({
    cells,
    portalBaseUrl: layout.portal.appUrl,
    dir: rulesDir,
  });

  const withAlertmanager = installed(ALERTMANAGER);
  const processes = [];
  if (withAlertmanager) {
    const token = process.env.CELLPORT_ALERT_WEBHOOK_TOKEN ?? '';
    const credentials = path.join(dir, 'webhook-token');
    fs.writeFileSync(credentials, token, { mode: 0o600 });
    const amConfig = path.join(dir, 'alertmanager.yml');
    // JSON is YAML: Alertmanager reads it as its configuration.
    fs.writeFileSync(
      amConfig,
      JSON.stringify(
        renderAlertmanagerConfig({
          webhookUrl: alertmanagerWebhookUrl(layout.portal.backendUrl),
          webhookCredentialsFile: credentials,
        }),
        null,
        2,
      ),
    );
    processes.push(
      spawn(
        ALERTMANAGER,
        [
          `--config.file=${amConfig}`,
          `--storage.path=${path.join(dir, 'alertmanager-data')}`,
          '--web.listen-address=127.0.0.1:9093',
          '--cluster.listen-address=',
        ],
        { stdio: 'inherit' },
      ),
    );
  }

  const promConfig = path.join(dir, 'prometheus.yml');
  fs.writeFileSync(
    promConfig,
    JSON.stringify(
      {
        global: { scrape_interval: '15s', evaluation_interval: '15s' },
        rule_files: [path.join(rulesDir, '*.rules.yaml')],
        ...(withAlertmanager
          ? {
              alerting: {
                alertmanagers: [
                  { static_configs: [{ targets: ['127.0.0.1:9093'] }] },
                ],
              },
            }
          : {}),
        scrape_configs: layout.gateways.map(gateway => ({
          job_name: `cellport-gateway-${gateway.cell}`,
          static_configs: [
            {
              targets: [`127.0.0.1:${gateway.port}`],
              // The job a ServiceMonitor gives the gateway: its alert on no replica up reads it.
              labels: { cell: gateway.cell, job: GATEWAY_SCRAPE_JOB },
            },
          ],
        })),
      },
      null,
      2,
    ),
  );
  processes.push(
    spawn(
      PROMETHEUS,
      [
        `--config.file=${promConfig}`,
        `--storage.tsdb.path=${path.join(dir, 'prometheus-data')}`,
        '--web.listen-address=127.0.0.1:9090',
      ],
      { stdio: 'inherit' },
    ),
  );
  console.log(
    `[cellport] Prometheus on http://127.0.0.1:9090 with ${
      ruleFiles.length
    } cells' SLO rules (${rulesDir})${
      withAlertmanager
        ? '; Alertmanager on http://127.0.0.1:9093, posting to the portal'
        : `; ${ALERTMANAGER} is not installed, so no alert leaves Prometheus`
    }`,
  );
  const stop = () => processes.forEach(child => child.kill('SIGTERM'));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  for (const child of processes) {
    child.on('exit', code => {
      stop();
      process.exitCode = code ?? 0;
    });
  }
}

main();
