import { randomBytes } from 'node:crypto';
import {
  closeSync,
  fstatSync,
  linkSync,
  openSync,
  readFileSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

/** A holder that has not touched its lock for this long is gone (killed, or its host lost). */
const STALE_MS = 30_000;
const TOUCH_MS = 5_000;

interface Owner {
  host: string;
  pid: number;
}

interface Lock {
  text: string;
  owner?: Owner;
  ageMs: number;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The lock file at `path` as written, and its age, both read from one open file (a path read
 * twice may name two files); undefined when there is none.
 */
function readLock(path: string): Lock | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return undefined;
  }
  try {
    const ageMs = Date.now() - fstatSync(fd).mtimeMs;
    const text = readFileSync(fd, 'utf8');
    let owner: Owner | undefined;
    try {
      const parsed = JSON.parse(text);
      if (typeof parsed?.host === 'string' && Number.isInteger(parsed?.pid)) {
        owner = parsed;
      }
    } catch {
      // Unreadable: held until it is stale, as a claim may be half made by hand.
    }
    return { text, owner, ageMs };
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
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
 * second refuses to start instead. A lock left by a process that is gone (the same host and a
 * dead pid, or untouched for 30 s: its holder touches it every 5 s) is taken over, so a
 * killed replica restarts at once. Claims are atomic: the lock is linked in whole, never
 * written in place, and a stale one is replaced under a takeover lock of its own, so two
 * processes starting together cannot both win.
 */
export class SpoolLock {
  private readonly path: string;
  private readonly owner: Owner = { host: hostname(), pid: process.pid };
  private readonly text = JSON.stringify(this.owner);
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly dir: string) {
    this.path = join(dir, 'owner.lock');
    const claim = `${this.path}.${randomBytes(6).toString('hex')}`;
    writeFileSync(claim, this.text);
    try {
      this.claim(claim);
    } finally {
      unlinkSync(claim);
    }
    this.timer = setInterval(() => this.touch(), TOUCH_MS);
    this.timer.unref();
  }

  /** Gives the directory up, unless another process has since taken it over. */
  release(): void {
    clearInterval(this.timer);
    unlinkIfText(this.path, this.text);
  }

  private claim(claim: string): void {
    try {
      linkSync(claim, this.path);
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const held = readLock(this.path);
    if (held && !this.gone(held)) this.refuse(held.owner);
    this.takeOver(claim, held?.text);
  }

  /**
   * Replaces a stale lock, one process at a time: under a second lock (`owner.lock.takeover`)
   * the stale one is removed only if it is still the one judged stale, and this claim linked
   * in its place. A process that finds a takeover under way refuses, as does one whose link
   * another beat after the removal: one claim alone can hold the name.
   */
  private takeOver(claim: string, staleText: string | undefined): void {
    const guard = `${this.path}.takeover`;
    try {
      linkSync(claim, guard);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const taking = readLock(guard);
      if (taking && this.gone(taking)) {
        // A takeover that died half way: cleared, for the next start to claim anew.
        unlinkIfText(guard, taking.text);
      }
      this.refuse(taking?.owner ?? readLock(this.path)?.owner);
    }
    try {
      const now = readLock(this.path);
      if (now && now.text !== staleText) this.refuse(now.owner);
      if (now) unlinkSync(this.path);
      linkSync(claim, this.path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      this.refuse(readLock(this.path)?.owner);
    } finally {
      unlinkIfText(guard, this.text);
    }
  }

  private refuse(holder: Owner | undefined): never {
    throw new Error(
      `the event spool ${this.dir} is in use by ${
        holder ? `process ${holder.pid} on ${holder.host}` : 'another process'
      }: give each gateway replica a GATEWAY_SPOOL_DIR of its own`,
    );
  }

  private touch(): void {
    try {
      const now = new Date();
      utimesSync(this.path, now, now);
    } catch {
      // Removed from under us: the next start sees no holder, as after a release.
    }
  }

  private gone(held: Lock): boolean {
    if (held.ageMs >= STALE_MS) return true;
    const holder = held.owner;
    if (holder?.host !== this.owner.host) return false;
    return holder.pid === this.owner.pid || !alive(holder.pid);
  }
}
