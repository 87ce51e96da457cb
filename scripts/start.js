// Serves Cellport on its embedded defaults: the portal (frontend :3000, backend :7007) and
// the inference simulator (:7070). The portal starts one AI gateway per Cell (:7081...) and
// sends live demo traffic through them.
// Run through `npm start`, which fetches the toolchain and dependencies first.
//
// `--built-app`: the frontend is built for production first (packages/app/dist) and the backend
// serves it at its own address, with no development server. A page loads in about a third of
// the development bundle's CPU time (its modules are not wrapped in source-mapped evals), which
// is what the browser tests run against on a two-core machine.
'use strict';

const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { demoEnvironment } = require('./demo-environment');

const repo = path.resolve(__dirname, '..');
fs.mkdirSync(path.join(repo, 'data', 'sqlite'), { recursive: true });
const demo = demoEnvironment(repo);

const builtApp = process.argv.includes('--built-app');
const { appUrl, backendUrl } = demo.layout.portal;
if (builtApp) {
  const build = spawnSync('yarn', ['workspace', 'app', 'build'], {
    cwd: repo,
    stdio: 'inherit',
  });
  if (build.status !== 0) {
    console.error('[cellport] the frontend did not build; not starting');
    process.exit(build.status ?? 1);
  }
}

const services = [
  builtApp
    ? {
        name: 'portal',
        args: ['workspace', 'backend', 'start'],
        // The app backend serves the built frontend; its links and sign-in use that address.
        // One portal, one build: no copy of the assets in the database for older clients.
        env: {
          ...demo.backendEnv,
          APP_CONFIG_app_baseUrl: backendUrl,
          APP_CONFIG_app_disableStaticFallbackCache: 'true',
        },
      }
    : { name: 'portal', args: ['dev'], env: demo.backendEnv },
  {
    name: 'simulator',
    args: ['workspace', '@cellport/simulator', 'start'],
    env: demo.simulator.env,
  },
];

const children = services.map(({ name, args, env }) => {
  const child = spawn('yarn', args, {
    cwd: repo,
    env: { ...process.env, ...env },
    stdio: 'inherit',
  });
  child.on('exit', code => {
    console.error(
      `[cellport] ${name} exited with code ${code}; stopping the rest`,
    );
    shutdown(code ?? 1);
  });
  return child;
});

let stopping = false;
function shutdown(code) {
  if (stopping) return;
  stopping = true;
  for (const child of children) {
    if (child.exitCode === null) child.kill('SIGTERM');
  }
  setTimeout(() => process.exit(code), 500).unref();
}

process.on('SIGINT', () => shutdown(0));
process.on('SIGTERM', () => shutdown(0));
console.error(
  [
    '[cellport] starting:',
    builtApp
      ? `  portal     ${backendUrl} (the built frontend, served by the backend)`
      : `  portal     ${appUrl} (backend ${backendUrl})`,
    `  simulator  http://127.0.0.1:${demo.simulator.port}`,
    ...demo.gateways.map(
      g =>
        `  gateway    http://127.0.0.1:${g.port} (cell ${g.cell}, started by the portal)`,
    ),
    '  demo keys  data/demo-secrets.json',
  ].join('\n'),
);
