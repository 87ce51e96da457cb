import { randomBytes } from 'node:crypto';
import {
  closeSync,
  fstatSync,
  linkSync,
  openSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { makeDirectory } from './makeDirectory';

/** A holder on another host that has not touched its lock for this long is gone (killed, host lost). */
const STALE_MS = 30_000;
const TOUCH_MS = 5_000;
/**
 * A holder on this host but in another PID namespace (another container) that has not touched
 * its lock for this long is gone: past two touches, by this kernel's one clock.
 */
const OTHER_NAMESPACE_STALE_MS = 2 * TOUCH_MS + 2_000;
/** How far this host's clock may be off a shared volume's, where no mtime can be made to age by. */
const CLOCK_SKEW_MS = 5 * 60_000;
/**
 * A holder that has not looked at its lock for this long (stopped, paused, its timers
 * starved) looks again before its next write: well inside STALE_MS, so one that another host
 * took over meanwhile learns it before it writes into segments that are no longer its own.
 */
const RECHECK_MS = 10_000;

interface Owner {
  host: string;
  pid: number;
  /** When the process started (`startOf`); absent in locks of older gateways. */
  start?: string;
  /** Its PID namespace (`PID_NAMESPACE`); absent in locks of older gateways. */
  pidNamespace?: string;
}

interface Lock {
  text: string;
  owner?: Owner;
  mtimeMs: number;
}

/** This boot of the machine, which process start times count from. */
const BOOT = (() => {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return undefined;
  }
})();

/**
 * When process `pid` started: this boot and the clock ticks after it (field 22 of
 * /proc/<pid>/stat). With the pid it names one process, where the pid alone may have been
 * reused since. Undefined where there is no /proc (macOS) or no such process.
 */
function startOf(pid: number): string | undefined {
  if (!BOOT) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 2, the command, may hold spaces and parentheses: fields are counted after it.
    const ticks = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
    return ticks ? `${BOOT}/${ticks}` : undefined;
  } catch {
    return undefined;
  }
}

/**
 * This process's PID namespace: containers that share a hostname (a pod's, or the node's with
 * `hostNetwork`) each have their own, where another's pids name nothing or someone else.
 */
const PID_NAMESPACE = (() => {
  try {
    return readlinkSync('/proc/self/ns/pid');
  } catch {
    return undefined;
  }
})();

/** This process, as a lock names its holder. */
function thisProcess(): Owner {
  return {
    host: hostname(),
    pid: process.pid,
    start: startOf(process.pid),
    pidNamespace: PID_NAMESPACE,
  };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A killed process keeps its pid until its parent collects it: a zombie holds nothing.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2));
  } catch {
    return true;
  }
}

/**
 * The lock file at `path` as written, and when it was last touched, both read from one open
 * file (a path read twice may name two files); undefined when there is none.
 */
function readLock(path: string): Lock | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return undefined;
  }
  try {
    const mtimeMs = fstatSync(fd).mtimeMs;
    const text = readFileSync(fd, 'utf8');
    return { text, owner: parseOwner(text), mtimeMs };
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/** Undefined for an unreadable lock: held until it is stale, as a claim may be half made by hand. */
function parseOwner(text: string): Owner | undefined {
  try {
    const parsed = JSON.parse(text);
    if (
      typeof parsed?.host === 'string' &&
      Number.isInteger(parsed?.pid) &&
      ['string', 'undefined'].includes(typeof parsed?.start) &&
      ['string', 'undefined'].includes(typeof parsed?.pidNamespace)
    ) {
      return parsed;
    }
  } catch {
    // Not JSON.
  }
  return undefined;
}

/** Removes `path` if it still holds `text`. */
function unlinkIfText(path: string, text: string | undefined): void {
  if (readLock(path)?.text !== text) return;
  try {
    unlinkSync(path);
  } catch {
    // Gone already.
  }
}

/**
 * Claims a spool directory for this process. Two gateways appending to one spool lose events
 * (one seals, sends and deletes the other's open segment), and nothing else would tell: the
 * second refuses to start instead. A lock left by a process that is gone is taken over, so a
 * killed replica restarts at once: on the same host and in the same PID namespace, one whose
 * pid is dead or now names another process (its start time differs); in another container of
 * the same host (same hostname, another PID namespace, where pids tell nothing), one untouched
 * for 12 s; on another host (a shared volume), one untouched for 30 s (its holder touches it
 * every 5 s), timed by the filesystem's clock on both sides, so a claimant's or holder's clock
 * running off does not count. A live holder in the same namespace is never taken over, however
 * long it has not touched the lock (SIGSTOP, a long GC pause, a frozen VM). Claims are atomic: the lock is linked in whole (only its holder rewrites it, byte
 * for byte, to touch it), and a stale one is replaced under a takeover lock of its own, so two
 * processes starting together cannot both win.
 */
export class SpoolLock {
  private readonly path: string;
  private readonly owner = thisProcess();
  private readonly text = JSON.stringify(this.owner);
  private readonly timer: NodeJS.Timeout;
  /** When the lock was last seen to be this process's, by the monotonic and the wall clock. */
  private checkedAt = performance.now();
  private checkedAtWall = Date.now();
  private released = false;

  constructor(private readonly dir: string) {
    this.path = join(dir, 'owner.lock');
    const claim = `${this.path}.${randomBytes(6).toString('hex')}`;
    try {
      writeFileSync(claim, this.text);
    } catch (error) {
      // Made but not written (a full volume): not left behind.
      rmSync(claim, { force: true });
      throw error;
    }
    try {
      // Written just now, so its mtime is the filesystem's "now", which a lock is aged against.
      this.claim(claim, statSync(claim).mtimeMs);
    } finally {
      unlinkSync(claim);
    }
    this.timer = setInterval(() => this.touch(), TOUCH_MS);
    this.timer.unref();
  }

  /**
   * Called before each write to the spool. A holder that has not looked at its lock for a
   * while (stalled) looks now, and stops if it lost it (`lost`). Two clock reads otherwise.
   */
  ensureHeld(): void {
    if (
      this.released ||
      (performance.now() - this.checkedAt < RECHECK_MS &&
        Math.abs(Date.now() - this.checkedAtWall) < RECHECK_MS)
    ) {
      return;
    }
    this.touch();
  }

  /** Gives the directory up, unless another process has since taken it over. */
  release(): void {
    this.released = true;
    clearInterval(this.timer);
    unlinkIfText(this.path, this.text);
  }

  private claim(claim: string, now: number): void {
    try {
      linkSync(claim, this.path);
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const held = readLock(this.path);
    if (held && !this.gone(held, now)) this.refuse(held.owner);
    this.takeOver(claim, held, now);
  }

  /**
   * Replaces a stale lock, one process at a time: under a second lock (`owner.lock.takeover`)
   * the stale one is removed only if it is still the one judged stale, untouched since, and
   * this claim linked in its place. A process that finds a takeover under way refuses, as does
   * one whose link another beat after the removal: one claim alone can hold the name.
   */
  private takeOver(claim: string, stale: Lock | undefined, now: number): void {
    const guard = `${this.path}.takeover`;
    try {
      linkSync(claim, guard);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const taking = readLock(guard);
      if (taking && this.gone(taking, now)) {
        // A takeover that died half way: cleared, for the next start to claim anew.
        unlinkIfText(guard, taking.text);
      }
      this.refuse(taking?.owner ?? readLock(this.path)?.owner);
    }
    try {
      const current = readLock(this.path);
      if (
        current &&
        (current.text !== stale?.text || current.mtimeMs !== stale?.mtimeMs)
      ) {
        this.refuse(current.owner);
      }
      if (current) unlinkSync(this.path);
      linkSync(claim, this.path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      this.refuse(readLock(this.path)?.owner);
    } finally {
      unlinkIfText(guard, this.text);
    }
  }

  private refuse(holder: Owner | undefined): never {
    throw inUse(this.dir, holder);
  }

  /** Shows the lock is still held, or finds it lost. */
  private touch(): void {
    let fd: number;
    try {
      fd = openSync(this.path, 'r+');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        // Removed from under us (the directory with it: a clean-up, a tmp reaper).
        this.restore();
      }
      return;
    }
    let text: string;
    try {
      text = readFileSync(fd, 'utf8');
      if (text === this.text) {
        // Its own bytes written again in place: the write sets the mtime by the filesystem's
        // clock (the file server's on a shared volume), which claimants age it by.
        writeSync(fd, this.text, 0);
        this.checked();
        return;
      }
    } catch {
      // Unreadable for now: looked at again at the next touch or write.
      return;
    } finally {
      closeSync(fd);
    }
    this.lost(text);
  }

  /**
   * Claims the spool again after its lock was deleted (with the directory, which is made
   * again): another gateway could otherwise claim the directory while this one writes to it.
   * One that claimed it meanwhile holds it: this process stops (`lost`).
   */
  restore(): void {
    if (this.released) return;
    const claim = `${this.path}.${randomBytes(6).toString('hex')}`;
    try {
      makeDirectory(this.dir);
      writeFileSync(claim, this.text);
      linkSync(claim, this.path);
      this.checked();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        // A volume that takes no file now: looked at again at the next touch.
        return;
      }
      const held = readLock(this.path);
      if (held && held.text !== this.text) this.lost(held.text);
      this.checked();
    } finally {
      rmSync(claim, { force: true });
    }
  }

  private checked(): void {
    this.checkedAt = performance.now();
    this.checkedAtWall = Date.now();
  }

  /**
   * Another process holds the spool now (it took the lock over from another host while this
   * one stalled, or claimed it after the lock was deleted by hand) and has sealed or deleted
   * this process's open segments: whatever it writes from now on may be lost. Refusing writes
   * would not do: the delivery keeps the events of a write the spool refuses in memory and
   * answers the request all the same, and memory is lost at the exit. So the process stops
   * at once, from inside the write, before another response leaves, as if killed: what it
   * wrote before is in segments the new holder delivers, and the requests in flight get no
   * answer, so their clients retry. The last line it writes says why (pino's shape, on stderr).
   */
  private lost(text: string): never {
    clearInterval(this.timer);
    writeSync(
      2,
      `${JSON.stringify({
        level: 60,
        time: Date.now(),
        pid: this.owner.pid,
        hostname: this.owner.host,
        dir: this.dir,
        msg: `the event spool ${this.dir} was taken over by ${describe(
          parseOwner(text),
        )} while this gateway held it (it stalled, or its lock was deleted); stopping at once, so that no request is answered whose events could be lost: give each gateway replica a GATEWAY_SPOOL_DIR of its own`,
      })}\n`,
    );
    process.exit(1);
  }

  private gone(held: Lock, now: number): boolean {
    return holderGone(held, this.owner, now);
  }

  /**
   * Refuses, as a claim would, a spool another live process holds: asked where no claim can
   * be written (a full volume). Without a claim's mtime there is no filesystem clock to age
   * another host's lock by, so this process's clock is used, allowing it five minutes off.
   */
  static refuseIfHeld(dir: string): void {
    const held = readLock(join(dir, 'owner.lock'));
    if (!held) return;
    if (!holderGone(held, thisProcess(), Date.now() - CLOCK_SKEW_MS)) {
      throw inUse(dir, held.owner);
    }
  }
}

/** Whether the holder of `held` is gone, as `self` judges it at `now` (see SpoolLock). */
function holderGone(held: Lock, self: Owner, now: number): boolean {
  const holder = held.owner;
  if (holder?.host !== self.host) {
    // Another host's, or unreadable: gone once untouched for a while, by the filesystem's
    // clock on both sides (`now` is the mtime of this claim, made just now).
    return now - held.mtimeMs >= STALE_MS;
  }
  // Another container of this host: its pid says nothing here, its touches do. A container
  // restarted in its pod waits out two of its predecessor's touches (a refused start or two).
  if (
    holder.pidNamespace !== undefined &&
    self.pidNamespace !== undefined &&
    holder.pidNamespace !== self.pidNamespace
  ) {
    return now - held.mtimeMs >= OTHER_NAMESPACE_STALE_MS;
  }
  // This process, or one before it with the same pid (a process restarted as pid 1 in the
  // same namespace).
  if (holder.pid === self.pid || !alive(holder.pid)) return true;
  // A lock of an older gateway records no start: its live pid may be anyone's by now (after
  // a reboot, init's), so it is gone once untouched for a while, as it always was.
  if (holder.start === undefined) return now - held.mtimeMs >= STALE_MS;
  // Alive: never gone, however long it has not touched the lock, unless its pid has been
  // reused since.
  const start = startOf(holder.pid);
  return start !== undefined && start !== holder.start;
}

function inUse(dir: string, holder: Owner | undefined): Error {
  return new Error(
    `the event spool ${dir} is in use by ${describe(
      holder,
    )}: give each gateway replica a GATEWAY_SPOOL_DIR of its own`,
  );
}

function describe(holder: Owner | undefined): string {
  return holder ? `process ${holder.pid} on ${holder.host}` : 'another process';
}
