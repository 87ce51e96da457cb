// Cellport's test command: typecheck, lint, prettier, every Jest test (on SQLite and on the
// PostgreSQL at 127.0.0.1:5432), then browser tests against the started portal. Ends with
// `N passed, N failed`. Run through `npm test`, which fetches the toolchain and dependencies.
//
// Each job is a file of scripts/test/: services.js (the services the tests need, free ports),
// systemPackages.js (what it installs with apt-get, and why), checks.js (typecheck, lint,
// prettier, Jest), browser.js (start the portal, wait for the demo data, run Playwright),
// report.js (the count). Ports, demo counts and the deploy tests' cluster come from
// scripts/demo-environment.js. CELLPORT_SKIP_BROWSER_TESTS=true skips the browser tests.
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { demoLayout } = require('./demo-environment');
const { runBrowserTests } = require('./test/browser');
const { runChecks, runJest } = require('./test/checks');
const { Report } = require('./test/report');
const { missingServices } = require('./test/services');
const { ensureSystemPackages } = require('./test/systemPackages');

const repo = path.resolve(__dirname, '..');
const results = path.join(repo, 'test-results');

const env = {
  ...process.env,
  CI: 'true',
  // Backstage's TestDatabases run the POSTGRES_16 cases against this server.
  BACKSTAGE_TEST_DATABASE_POSTGRES16_CONNECTION_STRING:
    process.env.BACKSTAGE_TEST_DATABASE_POSTGRES16_CONNECTION_STRING ??
    'postgresql://postgres@127.0.0.1:5432',
};

async function main() {
  const skipBrowser = process.env.CELLPORT_SKIP_BROWSER_TESTS === 'true';
  const missing = await missingServices(env);
  if (missing.length) {
    console.error(
      `[cellport test] not reachable: ${missing.join(
        ', ',
      )}. The tests use these services for real; start them and run again.`,
    );
    console.log('\n0 passed, 1 failed');
    process.exit(1);
  }
  fs.rmSync(results, { recursive: true, force: true });
  fs.mkdirSync(results, { recursive: true });
  const layout = demoLayout(repo);
  const report = new Report({ repo, env });
  const context = { repo, results, env, layout, report };

  // A missing kubectl, promtool or amtool fails the tests that need it, with its own message.
  const unavailable = ensureSystemPackages([
    'kubernetes-client',
    'prometheus',
    'prometheus-alertmanager',
    ...(skipBrowser ? [] : ['chromium']),
  ]);

  await runChecks(context);
  runJest(context);

  if (skipBrowser) {
    console.log(
      '[cellport test] browser tests skipped (CELLPORT_SKIP_BROWSER_TESTS=true)',
    );
  } else if (unavailable.includes('chromium')) {
    report.fail('browser tests (no chromium)');
  } else {
    await runBrowserTests(context);
  }

  report.print();
  process.exit(report.ok ? 0 : 1);
}

main().catch(error => {
  console.error(error);
  console.log('\n0 passed, 1 failed');
  process.exit(1);
});
