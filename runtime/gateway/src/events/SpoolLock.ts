import {
  closeSync,
  openSync,
  readFileSync,
  statSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
  writeSync,
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

/**
 * Claims a spool directory for this process. Two gateways appending to one spool lose events
 * (one seals, sends and deletes the other's open segment), and nothing else would tell: the
 * second refuses to start instead. A lock left by a process that is gone (the same host and a
 * dead pid, or untouched for 30 s, as from another host) is taken over, so a killed replica
 * restarts at once.
 */
export class SpoolLock {
  private readonly path: string;
  private readonly owner: Owner = { host: hostname(), pid: process.pid };
  private readonly timer: NodeJS.Timeout;

  constructor(dir: string) {
    this.path = join(dir, 'owner.lock');
    const text = JSON.stringify(this.owner);
    try {
      const fd = openSync(this.path, 'wx');
      writeSync(fd, text);
      closeSync(fd);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = this.holder();
      if (holder && !this.gone(holder)) {
        throw new Error(
          `the event spool ${dir} is in use by process ${holder.pid} on ${holder.host}: give each gateway replica a GATEWAY_SPOOL_DIR of its own`,
        );
      }
      writeFileSync(this.path, text);
    }
    this.timer = setInterval(() => this.touch(), TOUCH_MS);
    this.timer.unref();
  }

  /** Gives the directory up, unless another process has since taken it over. */
  release(): void {
    clearInterval(this.timer);
    const holder = this.holder();
    if (holder?.host === this.owner.host && holder.pid === this.owner.pid) {
      try {
        unlinkSync(this.path);
      } catch {
        // Already gone: nothing to give up.
      }
    }
  }

  private touch(): void {
    try {
      const now = new Date();
      utimesSync(this.path, now, now);
    } catch {
      // Removed from under us: the next start sees no holder, as after a release.
    }
  }

  private holder(): Owner | undefined {
    try {
      const parsed = JSON.parse(readFileSync(this.path, 'utf8'));
      return typeof parsed?.host === 'string' && Number.isInteger(parsed?.pid)
        ? parsed
        : undefined;
    } catch {
      return undefined;
    }
  }

  private gone(holder: Owner): boolean {
    if (holder.host === this.owner.host) {
      return holder.pid === this.owner.pid || !alive(holder.pid);
    }
    try {
      return Date.now() - statSync(this.path).mtimeMs >= STALE_MS;
    } catch {
      return true;
    }
  }
}
