// The checks and the Jest tests: typecheck, lint, prettier, then every Jest test (on SQLite and
// on the PostgreSQL of BACKSTAGE_TEST_DATABASE_POSTGRES16_CONNECTION_STRING), counted.
'use strict';

const os = require('node:os');
const path = require('node:path');

/** @param {{ report: import('./report').Report }} context */
function runChecks({ report }) {
  return report.checkAll([
    // The platform API's generated router, models and client match openapi.yaml.
    [
      'generated OpenAPI code',
      'node',
      ['scripts/openapi-generate.js', '--check'],
    ],
    ['typecheck', 'yarn', ['tsc']],
    ['lint', 'yarn', ['backstage-cli', 'repo', 'lint']],
    ['prettier', 'yarn', ['prettier', '--check', '.']],
  ]);
}

/** @param {{ results: string, report: import('./report').Report }} context */
function runJest({ results, report }) {
  const jestReport = path.join(results, 'jest.json');
  // Most test files wait on servers and child processes: on two cores, three workers ran the
  // suite in 426 s against 497 s with Backstage's default of two (one run each).
  const workers = Math.max(3, os.availableParallelism() - 1);
  const ok = report.run('unit and integration tests', 'yarn', [
    'backstage-cli',
    'repo',
    'test',
    `--maxWorkers=${workers}`,
    '--json',
    `--outputFile=${jestReport}`,
  ]);
  report.countJest(jestReport, ok);
}

module.exports = { runChecks, runJest };
