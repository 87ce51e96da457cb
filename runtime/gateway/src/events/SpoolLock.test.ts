import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DiskSpool } from './DiskSpool';
import { SpoolLock } from './SpoolLock';

describe('SpoolLock', () => {
  const dir = () => mkdtempSync(join(tmpdir(), 'cellport-spool-lock-'));
  const heldBy = (spool: string, host: string, pid: number, ageMs = 0) => {
    const path = join(spool, 'owner.lock');
    writeFileSync(path, JSON.stringify({ host, pid }));
    const at = new Date(Date.now() - ageMs);
    utimesSync(path, at, at);
  };

  it('refuses a spool another live gateway holds, naming it and what to do', () => {
    const spool = dir();
    // The test runner's parent process: alive, and not this one.
    heldBy(spool, hostname(), process.ppid);
    expect(() => new DiskSpool(spool)).toThrow(
      `the event spool ${spool} is in use by process ${
        process.ppid
      } on ${hostname()}: give each gateway replica a GATEWAY_SPOOL_DIR of its own`,
    );
    heldBy(spool, 'gateway-7f9c-other-node', 1);
    expect(() => new SpoolLock(spool)).toThrow(/in use by process 1 on/);
  });

  it('takes over the spool of a gateway that is gone: a dead pid here, or a lock untouched for 30 s', () => {
    const spool = dir();
    const exited = spawnSync(process.execPath, ['-e', '0']).pid;
    heldBy(spool, hostname(), exited);
    new SpoolLock(spool).release();
    heldBy(spool, 'gateway-7f9c-other-node', 1, 31_000);
    const lock = new SpoolLock(spool);
    lock.release();
    expect(existsSync(join(spool, 'owner.lock'))).toBe(false);
  });

  it('takes over a lock untouched for 30 s on this host, whatever now holds its pid', () => {
    const spool = dir();
    heldBy(spool, hostname(), process.ppid, 31_000);
    new SpoolLock(spool).release();
  });

  it('holds an empty or unreadable lock as taken until it is stale: a claim may be half made', () => {
    const spool = dir();
    writeFileSync(join(spool, 'owner.lock'), '');
    expect(() => new SpoolLock(spool)).toThrow(/in use by another process/);
    const old = new Date(Date.now() - 31_000);
    utimesSync(join(spool, 'owner.lock'), old, old);
    new SpoolLock(spool).release();
  });

  it('lets one of many processes claiming a spool at once win, and refuses the others', async () => {
    const spool = dir();
    // A stale lock to take over makes the race harder: each must move it aside first.
    heldBy(spool, hostname(), spawnSync(process.execPath, ['-e', '0']).pid);
    // Each claimer reports, then holds on until every one has: a winner that exited early
    // would leave a dead pid's lock, which a late starter rightly takes over.
    const claimer = `
      const { SpoolLock } = require(${JSON.stringify(
        join(__dirname, 'SpoolLock.ts'),
      )});
      try { new SpoolLock(${JSON.stringify(
        spool,
      )}); process.stdout.write('won'); }
      catch (e) { process.stdout.write(/in use/.test(e.message) ? 'refused' : e.message); }
      process.stdin.resume();
      process.stdin.on('end', () => process.exit(0));`;
    const children = Array.from({ length: 6 }, () =>
      spawn(
        process.execPath,
        [
          '--require',
          require.resolve('@backstage/cli/config/nodeTransform.cjs'),
          '-e',
          claimer,
        ],
        { stdio: ['pipe', 'pipe', 'inherit'] },
      ),
    );
    const outcomes = await Promise.all(
      children.map(
        child =>
          new Promise<string>(resolve => {
            child.stdout.once('data', data => resolve(String(data)));
            child.on('exit', () => resolve('exited without a word'));
          }),
      ),
    );
    await Promise.all(
      children.map(
        child =>
          new Promise(resolve => {
            child.on('exit', resolve);
            child.stdin.end();
          }),
      ),
    );
    expect(outcomes.filter(o => o === 'won')).toHaveLength(1);
    expect(outcomes.filter(o => o === 'refused')).toHaveLength(5);
  });

  it('is given up on close, so the next process starts at once', async () => {
    const spool = dir();
    const first = new DiskSpool(spool);
    expect(existsSync(join(spool, 'owner.lock'))).toBe(true);
    await first.close();
    expect(existsSync(join(spool, 'owner.lock'))).toBe(false);
  });
});
