// The Debian packages the test command needs and installs with apt-get when they are missing.
// It says what it installs and why before it does, and says plainly when it cannot (not root
// and no sudo, no apt-get, apt-get failed); it never installs anything else.
'use strict';

const { spawnSync } = require('node:child_process');
const fs = require('node:fs');

const succeeds = (command, args) =>
  spawnSync(command, args, { stdio: 'ignore' }).status === 0;

const PACKAGES = {
  chromium: {
    why: "the browser tests run in Debian's chromium (/usr/bin/chromium)",
    present: () => fs.existsSync('/usr/bin/chromium'),
  },
  'kubernetes-client': {
    why: "`kubectl kustomize` renders deploy/ in platform-node's manifest tests",
    present: () => succeeds('kubectl', ['version', '--client']),
  },
  prometheus: {
    why: "promtool checks the cells' generated SLO rules and runs their unit tests (platform-node's monitoring tests), and platform-backend's alert end-to-end test runs prometheus",
    present: () =>
      succeeds('promtool', ['--version']) &&
      fs.existsSync('/usr/bin/prometheus'),
  },
  'prometheus-alertmanager': {
    why: "amtool checks the rendered Alertmanager configuration (platform-node's monitoring tests), and platform-backend's alert end-to-end test runs prometheus-alertmanager",
    present: () =>
      succeeds('amtool', ['--version']) &&
      fs.existsSync('/usr/bin/prometheus-alertmanager'),
  },
};

/** How to run apt-get here: as root, through passwordless sudo, or not at all (why). */
function aptGet() {
  if (!succeeds('sh', ['-c', 'command -v apt-get'])) {
    return { error: 'apt-get is not available on this machine' };
  }
  if (process.getuid && process.getuid() === 0) return { prefix: [] };
  if (succeeds('sudo', ['-n', 'true'])) return { prefix: ['sudo', '-n'] };
  return { error: 'not root, and sudo is unavailable or asks for a password' };
}

/**
 * Installs those of `names` (keys of PACKAGES) that are missing, in one apt-get run. Returns
 * the ones still missing, each with why, after saying so.
 */
function ensureSystemPackages(names) {
  const missing = names.filter(name => !PACKAGES[name].present());
  if (missing.length === 0) return [];
  const apt = aptGet();
  let failure = apt.error;
  if (!failure) {
    console.log(
      `[cellport test] installing with apt-get: ${missing
        .map(name => `${name} (${PACKAGES[name].why})`)
        .join('; ')}`,
    );
    const env = ['env', 'DEBIAN_FRONTEND=noninteractive'];
    const steps = [
      [...apt.prefix, ...env, 'apt-get', 'update', '-qq'],
      [...apt.prefix, ...env, 'apt-get', 'install', '-y', '-qq', ...missing],
    ];
    for (const [command, ...args] of steps) {
      const result = spawnSync(command, args, { stdio: 'inherit' });
      if (result.status !== 0) {
        failure = `\`${[command, ...args].join(' ')}\` failed (exit ${
          result.status ?? result.signal
        })`;
        break;
      }
    }
  }
  const stillMissing = missing.filter(name => !PACKAGES[name].present());
  for (const name of stillMissing) {
    console.error(
      `[cellport test] ${name} is missing and could not be installed: ${
        failure ?? 'apt-get installed it, but it is still not found'
      }. It is needed because ${
        PACKAGES[name].why
      }; install it (apt-get install ${name}) and run again.`,
    );
  }
  return stillMissing;
}

module.exports = { ensureSystemPackages };
