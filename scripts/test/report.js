// The test command's tally: tests passed and failed, read from Jest's and Playwright's JSON
// reports, and the steps that failed. It prints the last line, `N passed, N failed`.
'use strict';

const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');

class Report {
  /** @param {{ repo: string, env: NodeJS.ProcessEnv }} context where and how steps run */
  constructor({ repo, env }) {
    this.repo = repo;
    this.env = env;
    this.passed = 0;
    this.failed = 0;
    /** Steps that failed, by title. */
    this.failedSteps = [];
  }

  /** Runs a step in the repository; its failure is recorded, not counted (see `check`). */
  run(title, command, args, options = {}) {
    console.log(`\n[cellport test] ${title}: ${command} ${args.join(' ')}`);
    const started = Date.now();
    const result = spawnSync(command, args, {
      cwd: this.repo,
      env: this.env,
      stdio: 'inherit',
      ...options,
    });
    const seconds = Math.round((Date.now() - started) / 1000);
    console.log(
      `[cellport test] ${title}: ${
        result.status === 0 ? 'ok' : 'failed'
      } (${seconds} s)`,
    );
    if (result.status !== 0) this.failedSteps.push(title);
    return result.status === 0;
  }

  /** A check that is not a test (typecheck, lint, prettier): a failed one counts as one failure. */
  check(title, command, args) {
    const ok = this.run(title, command, args);
    if (!ok) this.failed += 1;
    return ok;
  }

  /**
   * Checks that do not depend on each other, run at once: most of them use one core, and the
   * test command's time on a two-core machine is bounded. Each one's output is printed whole,
   * in the given order, once it has finished; a failed one counts as one failure.
   * @param {Array<[string, string, string[]]>} checks title, command and arguments of each
   */
  async checkAll(checks) {
    const results = checks.map(([title, command, args]) => {
      const started = Date.now();
      const child = spawn(command, args, { cwd: this.repo, env: this.env });
      const output = [];
      child.stdout.on('data', chunk => output.push(chunk));
      child.stderr.on('data', chunk => output.push(chunk));
      return new Promise(resolve => {
        child.on('error', error => {
          output.push(Buffer.from(`${error.message}\n`));
        });
        child.on('close', status =>
          resolve({
            title,
            command,
            args,
            status,
            output,
            seconds: Math.round((Date.now() - started) / 1000),
          }),
        );
      });
    });
    for (const result of results) {
      const { title, command, args, status, output, seconds } = await result;
      console.log(`\n[cellport test] ${title}: ${command} ${args.join(' ')}`);
      process.stdout.write(Buffer.concat(output));
      console.log(
        `[cellport test] ${title}: ${
          status === 0 ? 'ok' : 'failed'
        } (${seconds} s)`,
      );
      if (status !== 0) {
        this.failedSteps.push(title);
        this.failed += 1;
      }
    }
  }

  /** Something that kept a stage from running (a busy port, no browser): one failure. */
  fail(title) {
    this.failedSteps.push(title);
    this.failed += 1;
  }

  /**
   * Counts a Jest JSON report; a missing one is one failure, and so is a suite that failed to
   * load (it has no failed test). `stepOk`: whether Jest exited 0; a failed run whose report
   * shows no failure still counts one.
   */
  countJest(file, stepOk) {
    if (!fs.existsSync(file)) {
      this.failed += 1;
      return;
    }
    const report = JSON.parse(fs.readFileSync(file, 'utf8'));
    const failedBefore = this.failed;
    this.passed += report.numPassedTests;
    this.failed += report.numFailedTests;
    this.failed += report.testResults.filter(
      r => r.status === 'failed' && r.assertionResults.length === 0,
    ).length;
    if (!stepOk && this.failed === failedBefore) this.failed += 1;
  }

  /**
   * Counts a Playwright JSON report. The test command provides everything the browser tests
   * need: a skipped one is a failure.
   */
  countPlaywright(file, stepOk) {
    if (!fs.existsSync(file)) {
      this.failed += 1;
      return;
    }
    const report = JSON.parse(fs.readFileSync(file, 'utf8'));
    const failedBefore = this.failed;
    this.passed += report.stats.expected + report.stats.flaky;
    this.failed += report.stats.unexpected + report.stats.skipped;
    if (!stepOk && this.failed === failedBefore) this.failed += 1;
  }

  get ok() {
    return this.failed === 0 && this.failedSteps.length === 0;
  }

  /** Prints what failed and the last line, `N passed, N failed`. */
  print() {
    if (this.failedSteps.length) {
      console.log(`\n[cellport test] failed: ${this.failedSteps.join(', ')}`);
    }
    console.log(`\n${this.passed} passed, ${this.failed} failed`);
  }
}

module.exports = { Report };
