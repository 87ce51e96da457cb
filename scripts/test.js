// Cellport's test command: typecheck, lint, prettier, every Jest test (on SQLite and on the
// PostgreSQL at 127.0.0.1:5432), then browser tests against the started portal. Ends with
// `N passed, N failed`. Run through `npm test`, which fetches the toolchain and dependencies.
'use strict';

const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');

const repo = path.resolve(__dirname, '..');
const results = path.join(repo, 'test-results');
fs.rmSync(results, { recursive: true, force: true });
fs.mkdirSync(results, { recursive: true });

const env = {
  ...process.env,
  CI: 'true',
  // Backstage's TestDatabases run the POSTGRES_16 cases against this server.
  BACKSTAGE_TEST_DATABASE_POSTGRES16_CONNECTION_STRING:
    process.env.BACKSTAGE_TEST_DATABASE_POSTGRES16_CONNECTION_STRING ??
    'postgresql://postgres@127.0.0.1:5432',
};

/**
 * The cluster of the Meridian cell, for the browser tests: Playwright's global setup serves it
 * (packages/app/e2e-tests/globalSetup.ts), and the portal is configured with it, so a Deploy
 * card can plan, apply and read a rollout back.
 */
const E2E_CLUSTER = {
  name: 'eks-us-east-1-meridian',
  port: 7090,
  token: require('node:crypto').randomBytes(24).toString('base64url'),
};

const failedChecks = [];
let passed = 0;
let failed = 0;

function run(title, command, args, options = {}) {
  console.log(`\n[cellport test] ${title}: ${command} ${args.join(' ')}`);
  const result = spawnSync(command, args, {
    cwd: repo,
    env,
    stdio: 'inherit',
    ...options,
  });
  if (result.status !== 0) failedChecks.push(title);
  return result.status === 0;
}

function reachable(port, host = '127.0.0.1') {
  return new Promise(resolve => {
    const socket = net.connect({ port, host });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function requireServices() {
  const services = [
    ['PostgreSQL', 5432],
    ['Redis', 6379],
    ['NATS', 4222],
  ];
  const missing = [];
  for (const [name, port] of services) {
    if (!(await reachable(port))) missing.push(`${name} (127.0.0.1:${port})`);
  }
  if (missing.length) {
    console.error(
      `[cellport test] not reachable: ${missing.join(
        ', ',
      )}. The tests use these services for real; start them and run again.`,
    );
    process.exit(1);
  }
}

function countJest(file) {
  if (!fs.existsSync(file)) return false;
  const report = JSON.parse(fs.readFileSync(file, 'utf8'));
  passed += report.numPassedTests;
  failed += report.numFailedTests;
  // A suite that fails to load has no failed tests but must still count.
  failed += report.testResults.filter(
    r => r.status === 'failed' && r.assertionResults.length === 0,
  ).length;
  return true;
}

function countPlaywright(file) {
  if (!fs.existsSync(file)) return false;
  const report = JSON.parse(fs.readFileSync(file, 'utf8'));
  passed += report.stats.expected + report.stats.flaky;
  // The test command provides everything the browser tests need: a skipped one is a failure.
  failed += report.stats.unexpected + report.stats.skipped;
  return true;
}

/** Waits until the demo catalog, its history and its gateways are ready, as a guest sees them. */
async function waitForDemoData(timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const auth = await fetch(
        'http://localhost:7007/api/auth/guest/refresh?env=development',
        { headers: { 'X-Requested-With': 'XMLHttpRequest' } },
      ).then(r => r.json());
      const headers = {
        Authorization: `Bearer ${auth.backstageIdentity.token}`,
      };
      const count = async kind =>
        (
          await fetch(
            `http://localhost:7007/api/catalog/entities/by-query?filter=kind=${kind}&limit=100`,
            { headers },
          ).then(r => r.json())
        ).items.length;
      if ((await count('cell')) < 4 || (await count('agent')) < 5) {
        throw new Error('the demo catalog is still loading');
      }
      // The browser tests read SLO states and runtime sync: wait for the demo history
      // (backfilled about half a minute after start) and every gateway's first push.
      const { cells } = await fetch(
        'http://localhost:7007/api/platform/cells/summary',
        { headers },
      ).then(r => r.json());
      // The platform backend reads the catalog on its own schedule: it may list no cell yet.
      const ready = cells.filter(c => c.alertState && c.runtime?.pushedVersion);
      if (ready.length >= 4) return true;
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

function ensureChromium() {
  if (fs.existsSync('/usr/bin/chromium')) return true;
  console.log(
    '[cellport test] installing Debian chromium for the browser tests',
  );
  const apt = [
    'apt-get update -qq',
    'DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium',
  ];
  const sudo = process.getuid && process.getuid() !== 0 ? 'sudo ' : '';
  const result = spawnSync(
    'bash',
    ['-c', apt.map(c => sudo + c).join(' && ')],
    {
      stdio: 'inherit',
    },
  );
  return result.status === 0 && fs.existsSync('/usr/bin/chromium');
}

async function browserTests() {
  if (!ensureChromium()) {
    console.error(
      '[cellport test] chromium is not installed and could not be installed',
    );
    failedChecks.push('browser tests (no chromium)');
    failed += 1;
    return;
  }
  for (const port of [
    3000,
    7007,
    7070,
    7081,
    7082,
    7083,
    7084,
    E2E_CLUSTER.port,
  ]) {
    if (await reachable(port)) {
      console.error(
        `[cellport test] port ${port} is in use; stop the running portal before the browser tests`,
      );
      failedChecks.push(`browser tests (port ${port} busy)`);
      failed += 1;
      return;
    }
  }
  const dataDir = path.join(results, 'portal-data');
  fs.mkdirSync(dataDir, { recursive: true });
  const log = fs.openSync(path.join(results, 'portal.log'), 'w');
  console.log(
    '\n[cellport test] starting the portal for the browser tests (log: test-results/portal.log)',
  );
  // The whole embedded default: portal, simulator, gateways and live demo traffic.
  const portal = spawn(process.execPath, [path.join(__dirname, 'start.js')], {
    cwd: repo,
    env: {
      ...env,
      APP_CONFIG_backend_database_connection_directory: dataDir,
      APP_CONFIG_kubernetes_clusterLocatorMethods: JSON.stringify([
        {
          type: 'config',
          clusters: [
            {
              name: E2E_CLUSTER.name,
              url: `http://127.0.0.1:${E2E_CLUSTER.port}`,
              authProvider: 'serviceAccount',
              serviceAccountToken: E2E_CLUSTER.token,
              skipMetricsLookup: true,
            },
          ],
        },
      ]),
      BROWSER: 'none',
    },
    stdio: ['ignore', log, log],
    detached: true,
  });
  try {
    const up =
      (await waitFor(
        'http://localhost:7007/.backstage/health/v1/readiness',
        portal,
        300_000,
      )) &&
      (await waitFor('http://localhost:3000', portal, 300_000)) &&
      (await waitForDemoData(240_000));
    if (!up) {
      console.error(
        '[cellport test] the portal did not start or its demo catalog and history did not load; see test-results/portal.log',
      );
      failedChecks.push('browser tests (portal did not start)');
      failed += 1;
      return;
    }
    run('browser tests', 'yarn', ['playwright', 'test'], {
      env: {
        ...env,
        PLAYWRIGHT_JSON_OUTPUT_NAME: path.join(results, 'e2e.json'),
        CELLPORT_E2E_CLUSTER_PORT: String(E2E_CLUSTER.port),
        CELLPORT_E2E_CLUSTER_TOKEN: E2E_CLUSTER.token,
      },
    });
    if (!countPlaywright(path.join(results, 'e2e.json'))) failed += 1;
  } finally {
    try {
      process.kill(-portal.pid, 'SIGTERM');
    } catch {
      // already gone
    }
  }
}

/** deploy/ is rendered with `kubectl kustomize`; Debian's kubernetes-client ships one. */
function ensureKubectl() {
  if (
    spawnSync('kubectl', ['version', '--client'], { stdio: 'ignore' })
      .status === 0
  )
    return;
  console.log(
    "[cellport test] installing Debian's kubernetes-client for kubectl kustomize",
  );
  const sudo = process.getuid && process.getuid() !== 0 ? 'sudo ' : '';
  spawnSync(
    'bash',
    [
      '-c',
      `${sudo}apt-get update -qq && ${sudo}env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq kubernetes-client`,
    ],
    { stdio: 'inherit' },
  );
}

async function main() {
  await requireServices();
  ensureKubectl();
  run('typecheck', 'yarn', ['tsc']);
  run('lint', 'yarn', ['backstage-cli', 'repo', 'lint']);
  run('prettier', 'yarn', ['prettier', '--check', '.']);

  const jestReport = path.join(results, 'jest.json');
  run('unit and integration tests', 'yarn', [
    'backstage-cli',
    'repo',
    'test',
    '--json',
    `--outputFile=${jestReport}`,
  ]);
  if (!countJest(jestReport)) failed += 1;

  if (process.env.CELLPORT_SKIP_BROWSER_TESTS === 'true') {
    console.log(
      '[cellport test] browser tests skipped (CELLPORT_SKIP_BROWSER_TESTS=true)',
    );
  } else {
    await browserTests();
  }

  // Typecheck, lint and prettier are checks, not tests: a failed one counts as one failure.
  const checkFailures = failedChecks.filter(c =>
    ['typecheck', 'lint', 'prettier'].includes(c),
  ).length;
  failed += checkFailures;
  if (failedChecks.length) {
    console.log(`\n[cellport test] failed: ${failedChecks.join(', ')}`);
  }
  console.log(`\n${passed} passed, ${failed} failed`);
  process.exit(failed > 0 || failedChecks.length > 0 ? 1 : 0);
}

main().catch(error => {
  console.error(error);
  console.log('\n0 passed, 1 failed');
  process.exit(1);
});
