import { randomBytes } from 'node:crypto';
import {
  linkSync,
  readFileSync,
  renameSync,
  statSync,
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

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The lock file at `path` as written, and its age; undefined when there is none. */
function readLock(
  path: string,
): { text: string; owner?: Owner; ageMs: number } | undefined {
  try {
    const ageMs = Date.now() - statSync(path).mtimeMs;
    const text = readFileSync(path, 'utf8');
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
  }
}

/**
 * Claims a spool directory for this process. Two gateways appending to one spool lose events
 * (one seals, sends and deletes the other's open segment), and nothing else would tell: the
 * second refuses to start instead. A lock left by a process that is gone (the same host and a
 * dead pid, or untouched for 30 s: its holder touches it every 5 s) is taken over, so a
 * killed replica restarts at once. Claims are atomic: the lock is linked in whole, never
 * written in place, and a stale one is moved aside before the claim, so two processes starting
 * together cannot both win.
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
    if (readLock(this.path)?.text === this.text) {
      try {
        unlinkSync(this.path);
      } catch {
        // Already gone: nothing to give up.
      }
    }
  }

  private claim(claim: string): void {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        linkSync(claim, this.path);
        return;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const held = readLock(this.path);
      if (held && !this.gone(held)) this.refuse(held.owner);
      if (held) this.moveAside(held.text);
    }
    this.refuse(readLock(this.path)?.owner);
  }

  /** Moves a stale lock out of the way; puts back a live claim it moved by mistake. */
  private moveAside(staleText: string): void {
    const aside = `${this.path}.${randomBytes(6).toString('hex')}.stale`;
    try {
      renameSync(this.path, aside);
    } catch {
      return; // Someone else moved it: the next link decides.
    }
    const moved = readLock(aside);
    if (moved && moved.text !== staleText && !this.gone(moved)) {
      // Another process claimed it since it was read: its lock goes back, and it keeps it.
      try {
        linkSync(aside, this.path);
      } catch {
        // A third claimed it meanwhile; the next link decides.
      }
    }
    unlinkSync(aside);
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

  private gone(held: { owner?: Owner; ageMs: number }): boolean {
    if (held.ageMs >= STALE_MS) return true;
    const holder = held.owner;
    if (holder?.host !== this.owner.host) return false;
    return holder.pid === this.owner.pid || !alive(holder.pid);
  }
}
