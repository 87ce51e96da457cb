// The browser tests: start the whole embedded default (portal, simulator, the demo cells'
// gateways, live demo traffic) on its own data, wait until a guest sees the demo catalog, its
// history and every demo gateway's first push, then run Playwright against it. Ports, counts
// and the deploy tests' cluster come from scripts/demo-environment.js (app-config.yaml and
// examples/), so adding a demo cell or agent needs no change here.
'use strict';

const { spawn } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { DEPLOY_TEST_CELL } = require('../demo-environment');
const { busyPorts } = require('./services');

/** Waits until the demo catalog, its history and its gateways are ready, as a guest sees them. */
async function waitForDemoData(layout, timeoutMs) {
  const backend = layout.portal.backendUrl;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const auth = await fetch(
        `${backend}/api/auth/guest/refresh?env=development`,
        { headers: { 'X-Requested-With': 'XMLHttpRequest' } },
      ).then(r => r.json());
      const headers = {
        Authorization: `Bearer ${auth.backstageIdentity.token}`,
      };
      const count = async kind =>
        (
          await fetch(
            `${backend}/api/catalog/entities/by-query?filter=kind=${kind}&limit=1000`,
            { headers },
          ).then(r => r.json())
        ).items.length;
      if (
        (await count('cell')) < layout.cells.length ||
        (await count('agent')) < layout.agents.length
      ) {
        throw new Error('the demo catalog is still loading');
      }
      // The browser tests read SLO states and runtime sync: wait for the demo history
      // (backfilled about half a minute after start) and every gateway's first push.
      const { cells } = await fetch(`${backend}/api/platform/cells/summary`, {
        headers,
      }).then(r => r.json());
      // The platform backend reads the catalog on its own schedule: it may list no cell yet.
      // Live demo traffic gives every cell an SLO state within seconds; the backfilled
      // history is in once the outage it ends with, on purpose, shows.
      const ready = cells.filter(
        c =>
          c.sloState &&
          c.sloState !== 'no data' &&
          c.runtime?.pushedVersion &&
          (!layout.outageCells.includes(c.cell) ||
            ['burning', 'exhausted'].includes(c.sloState)),
      );
      if (ready.length >= layout.cells.length) return true;
    } catch {
      // not ready yet
    }
    await new Promise(r => setTimeout(r, 2000));
  }
  return false;
}

async function waitFor(url, child, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) return false;
    try {
      const res = await fetch(url);
      if (res.status < 500) return true;
    } catch {
      // not up yet
    }
    await new Promise(r => setTimeout(r, 1000));
  }
  return false;
}

/**
 * The ports the browser tests listen on: the portal's, the simulator's, the demo gateways' and
 * the deploy tests' cluster's.
 */
function demoPorts(layout) {
  return [
    ...layout.portal.ports,
    layout.simulatorPort,
    ...layout.gateways.map(g => g.port),
    layout.deployTestCell.apiServerPort,
  ];
}

/**
 * @param {{ repo: string, results: string, env: NodeJS.ProcessEnv,
 *   layout: ReturnType<typeof import('../demo-environment').demoLayout>,
 *   report: import('./report').Report }} context
 */
async function runBrowserTests({ repo, results, env, layout, report }) {
  if (!layout.deployTestCell) {
    console.error(
      `[cellport test] examples/cells.yaml has no cell ${DEPLOY_TEST_CELL} with a spec.cluster: the browser deploy tests apply it (scripts/demo-environment.js)`,
    );
    report.fail(`browser tests (no cell ${DEPLOY_TEST_CELL} in examples/)`);
    return;
  }
  const busy = await busyPorts(demoPorts(layout));
  if (busy.length) {
    console.error(
      `[cellport test] port${busy.length > 1 ? 's' : ''} ${busy.join(
        ', ',
      )} in use; stop the running portal before the browser tests`,
    );
    report.fail(`browser tests (port ${busy.join(', ')} busy)`);
    return;
  }
  // The Meridian cell's cluster: Playwright's global setup serves it
  // (packages/app/e2e-tests/globalSetup.ts) and the portal is configured with it, so a Deploy
  // card can plan, apply and read a rollout back.
  const cluster = {
    name: layout.deployTestCell.cluster,
    port: layout.deployTestCell.apiServerPort,
    token: crypto.randomBytes(24).toString('base64url'),
  };
  const dataDir = path.join(results, 'portal-data');
  fs.mkdirSync(dataDir, { recursive: true });
  const log = fs.openSync(path.join(results, 'portal.log'), 'w');
  console.log(
    '\n[cellport test] starting the portal for the browser tests (log: test-results/portal.log)',
  );
  // The production build of the frontend, served by the backend (scripts/start.js): the
  // development bundle made each page load cost three times the CPU, and the tests' time on a
  // two-core machine is bounded.
  const appUrl = layout.portal.backendUrl;
  const portal = spawn(
    process.execPath,
    [path.join(repo, 'scripts', 'start.js'), '--built-app'],
    {
      cwd: repo,
      env: {
        ...env,
        APP_CONFIG_backend_database_connection_directory: dataDir,
        APP_CONFIG_kubernetes_clusterLocatorMethods: JSON.stringify([
          {
            type: 'config',
            clusters: [
              {
                name: cluster.name,
                url: `http://127.0.0.1:${cluster.port}`,
                authProvider: 'serviceAccount',
                serviceAccountToken: cluster.token,
                skipMetricsLookup: true,
              },
            ],
          },
        ]),
        BROWSER: 'none',
      },
      stdio: ['ignore', log, log],
      detached: true,
    },
  );
  try {
    const up =
      (await waitFor(
        `${layout.portal.backendUrl}/.backstage/health/v1/readiness`,
        portal,
        300_000,
      )) &&
      (await waitFor(appUrl, portal, 300_000)) &&
      (await waitForDemoData(layout, 240_000));
    if (!up) {
      console.error(
        '[cellport test] the portal did not start or its demo catalog and history did not load; see test-results/portal.log',
      );
      report.fail('browser tests (portal did not start)');
      return;
    }
    const playwrightReport = path.join(results, 'e2e.json');
    const ok = report.run('browser tests', 'yarn', ['playwright', 'test'], {
      env: {
        ...env,
        PLAYWRIGHT_URL: appUrl,
        PLAYWRIGHT_JSON_OUTPUT_NAME: playwrightReport,
        CELLPORT_E2E_CLUSTER_PORT: String(cluster.port),
        CELLPORT_E2E_CLUSTER_TOKEN: cluster.token,
      },
    });
    report.countPlaywright(playwrightReport, ok);
  } finally {
    try {
      process.kill(-portal.pid, 'SIGTERM');
    } catch {
      // already gone
    }
    // The tests' build, not the developer's: left there, a plain `npm start` would also serve
    // it (stale) at the backend's address.
    fs.rmSync(path.join(repo, 'packages', 'app', 'dist'), {
      recursive: true,
      force: true,
    });
  }
}

module.exports = { demoPorts, runBrowserTests };
