// Serves Cellport on its embedded defaults: the portal (frontend :3000, backend :7007).
// Run through `npm start`, which fetches the toolchain and dependencies first.
'use strict';

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const repo = path.resolve(__dirname, '..');
fs.mkdirSync(path.join(repo, 'data', 'sqlite'), { recursive: true });

const services = [{ name: 'portal', command: 'yarn', args: ['dev'] }];

const children = services.map(({ name, command, args }) => {
  const child = spawn(command, args, { cwd: repo, stdio: 'inherit' });
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
  '[cellport] starting: portal at http://localhost:3000 (backend http://localhost:7007)',
);
