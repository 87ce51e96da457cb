// Serves Cellport on its embedded defaults: the portal (frontend :3000, backend :7007) and
// the inference simulator (:7070). The portal starts one AI gateway per Cell (:7081...) and
// sends live demo traffic through them.
// Run through `npm start`, which fetches the toolchain and dependencies first.
'use strict';

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { demoEnvironment } = require('./demo-environment');

const repo = path.resolve(__dirname, '..');
fs.mkdirSync(path.join(repo, 'data', 'sqlite'), { recursive: true });
const demo = demoEnvironment(repo);

const services = [
  {
    name: 'portal',
    args: ['dev'],
    env: demo.backendEnv,
  },
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
    `  portal     ${demo.layout.portal.appUrl} (backend ${demo.layout.portal.backendUrl})`,
    `  simulator  http://127.0.0.1:${demo.simulator.port}`,
    ...demo.gateways.map(
      g =>
        `  gateway    http://127.0.0.1:${g.port} (cell ${g.cell}, started by the portal)`,
    ),
    '  demo keys  data/demo-secrets.json',
  ].join('\n'),
);
