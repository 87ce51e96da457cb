import { spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DiskSpool } from './DiskSpool';
import { SpoolLock } from './SpoolLock';
import { startProcess } from '../__testUtils__/processes';

// Child processes load TypeScript through Backstage's loader: a few seconds each.
jest.setTimeout(30_000);

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

  it('judges a holder in another container of this host (another PID namespace) by its touches, not its pid', () => {
    const spool = dir();
    const path = join(spool, 'owner.lock');
    const inAnotherContainer = (ageMs: number) => {
      // Pid 1 of its own namespace: here, this machine's init, alive; or a pid that names
      // nothing here. Either says nothing about the holder.
      writeFileSync(
        path,
        JSON.stringify({
          host: hostname(),
          pid: 1,
          start: 'another-boot/1',
          pidNamespace: 'pid:[1]',
        }),
      );
      const at = new Date(Date.now() - ageMs);
      utimesSync(path, at, at);
    };
    // Touched a moment ago: a live sibling, whatever pid 1 is here.
    inAnotherContainer(1_000);
    expect(() => new SpoolLock(spool)).toThrow(/in use by process 1 on/);
    // Two touches missed: gone (a container restarted in its pod takes its spool over).
    inAnotherContainer(13_000);
    const lock = new SpoolLock(spool);
    expect(JSON.parse(readFileSync(path, 'utf8')).pidNamespace).toMatch(
      /^pid:\[\d+\]$/,
    );
    lock.release();
  });

  it('takes over the lock of a killed gateway its parent has not yet collected (a zombie)', async () => {
    const spool = dir();
    // `sh` starts a child, then becomes `sleep`, which never collects it. The child exits a
    // second later, once `sh` is gone: `sh` itself could reap a child that exited before.
    const parent = spawn('sh', ['-c', 'sleep 1 & echo $!; exec sleep 20'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    try {
      const zombie = Number(
        await new Promise<string>(resolve =>
          parent.stdout.once('data', data => resolve(String(data))),
        ),
      );
      const state = () => readFileSync(`/proc/${zombie}/stat`, 'utf8');
      for (let i = 0; i < 100 && !/\) Z /.test(state()); i++) {
        await new Promise(resolve => setTimeout(resolve, 50));
      }
      expect(state()).toMatch(/\) Z /);
      heldBy(spool, hostname(), zombie);
      // Before, its pid answered signal 0, so the restarted gateway refused to start.
      new SpoolLock(spool).release();
      expect(existsSync(join(spool, 'owner.lock'))).toBe(false);
    } finally {
      parent.kill('SIGKILL');
    }
  });

  it('never takes over a live gateway on this host, however long it has not touched its lock', async () => {
    const spool = dir();
    const holder = await startProcess(
      process.execPath,
      [
        '--require',
        require.resolve('@backstage/cli-node/config/nodeTransform.cjs'),
        '-e',
        `new (require(${JSON.stringify(
          join(__dirname, 'SpoolLock.ts'),
        )}).SpoolLock)(${JSON.stringify(spool)});
        console.log('held');
        setInterval(() => {}, 60_000);`,
      ],
      { ready: /held/ },
    );
    try {
      // Stalled (SIGSTOP, a long GC pause, a frozen VM) for longer than a lock stays fresh.
      holder.child.kill('SIGSTOP');
      const untouched = new Date(Date.now() - 600_000);
      utimesSync(join(spool, 'owner.lock'), untouched, untouched);
      expect(() => new SpoolLock(spool)).toThrow(
        `in use by process ${holder.child.pid} on ${hostname()}`,
      );
      holder.child.kill('SIGCONT');
      expect(
        JSON.parse(readFileSync(join(spool, 'owner.lock'), 'utf8')).pid,
      ).toBe(holder.child.pid);
    } finally {
      await holder.kill();
    }
  });

  it('takes over a lock whose pid now belongs to another process', () => {
    const spool = dir();
    const path = join(spool, 'owner.lock');
    // The test runner's parent is alive, but did not start when this lock says its holder did.
    writeFileSync(
      path,
      JSON.stringify({ host: hostname(), pid: process.ppid, start: 'x/1' }),
    );
    const lock = new SpoolLock(spool);
    const owner = JSON.parse(readFileSync(path, 'utf8'));
    expect(owner.pid).toBe(process.pid);
    // This machine's boot and the clock ticks from it to this process's start.
    expect(owner.start).toMatch(/^[0-9a-f-]{36}\/\d+$/);
    lock.release();
  });

  it("takes over an older gateway's lock (no start time) untouched for 30 s, though its pid is alive", () => {
    const spool = dir();
    const path = join(spool, 'owner.lock');
    // After a reboot the pid of the gateway that wrote it may be anyone's: here the runner's.
    writeFileSync(
      path,
      JSON.stringify({ host: hostname(), pid: process.ppid }),
    );
    expect(() => new SpoolLock(spool)).toThrow(/in use by process/);
    const hourAgo = new Date(Date.now() - 3_600_000);
    utimesSync(path, hourAgo, hourAgo);
    const lock = new SpoolLock(spool);
    expect(JSON.parse(readFileSync(path, 'utf8')).pid).toBe(process.pid);
    lock.release();
  });

  it("ages another host's lock by the filesystem's clock, not this process's", () => {
    const spool = dir();
    heldBy(spool, 'gateway-7f9c-other-node', 1);
    const now = Date.now();
    // This process's clock runs a minute ahead: the lock, touched just now, is not stale.
    const ahead = jest.spyOn(Date, 'now').mockReturnValue(now + 60_000);
    try {
      expect(() => new SpoolLock(spool)).toThrow(/in use by process 1 on/);
    } finally {
      ahead.mockRestore();
    }
  });

  it("touches its lock by the filesystem's clock, and looks at it again before a write after a stall", () => {
    const spool = dir();
    const path = join(spool, 'owner.lock');
    const lock = new SpoolLock(spool);
    const untouched = new Date(Date.now() - 31_000);
    utimesSync(path, untouched, untouched);
    writeFileSync(join(spool, 'reference'), '');
    const reference = statSync(join(spool, 'reference')).mtimeMs;
    // This process's clock went back a minute (or its timers were held up that long).
    const behind = jest.spyOn(Date, 'now').mockReturnValue(Date.now() - 60_000);
    try {
      lock.ensureHeld();
    } finally {
      behind.mockRestore();
    }
    expect(statSync(path).mtimeMs).toBeGreaterThanOrEqual(reference);
    lock.release();
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

  it('claims its spool again when its lock is deleted with the directory, and stops if another gateway claimed it meanwhile', () => {
    // A clean-up or a tmp reaper deletes the directory: the lock must come back, or another
    // gateway could claim the directory this one still writes to.
    const spool = dir();
    const path = join(spool, 'owner.lock');
    const lock = new SpoolLock(spool);
    rmSync(spool, { recursive: true, force: true });
    lock.restore();
    expect(JSON.parse(readFileSync(path, 'utf8'))).toMatchObject({
      host: hostname(),
      pid: process.pid,
    });
    lock.release();

    // Claimed by another live gateway between the deletion and the restore: this one stops
    // before it writes again (a process of its own, as it exits).
    const other = dir();
    const claimer = `
      const { rmSync, writeFileSync } = require('node:fs');
      const { SpoolLock } = require(${JSON.stringify(
        join(__dirname, 'SpoolLock.ts'),
      )});
      const lock = new SpoolLock(${JSON.stringify(other)});
      rmSync(${JSON.stringify(join(other, 'owner.lock'))});
      writeFileSync(${JSON.stringify(
        join(other, 'owner.lock'),
      )}, JSON.stringify({ host: ${JSON.stringify(
      hostname(),
    )}, pid: process.ppid }));
      lock.restore();
      process.stdout.write('went on writing');`;
    const run = spawnSync(
      process.execPath,
      [
        '--require',
        require.resolve('@backstage/cli/config/nodeTransform.cjs'),
        '-e',
        claimer,
      ],
      { encoding: 'utf8' },
    );
    expect(run.stdout).toBe('');
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('was taken over by process');
  });

  it('is given up on close, so the next process starts at once', async () => {
    const spool = dir();
    const first = new DiskSpool(spool);
    expect(existsSync(join(spool, 'owner.lock'))).toBe(true);
    await first.close();
    expect(existsSync(join(spool, 'owner.lock'))).toBe(false);
  });
});
