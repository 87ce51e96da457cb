import { DiskSpool, DiskSpoolOptions, RecoveredSpool } from './DiskSpool';

/**
 * What an operator must fix, by the call that failed and its error (`mkdir:ENOENT`), or by the
 * error alone where every call means the same by it: an ENOENT of `mkdir` is a parent that
 * takes no directory, of `unlink` a file another process removed. `{path}` is the file or
 * directory the error names, `{syscall}` the call. Any other error is shown as it is.
 */
const FAULTS: Record<string, string> = {
  EROFS: 'is not writable: its volume is read-only',
  ENOSPC: 'is on a full volume',
  ENOTDIR: 'is not a directory: a file stands in its path',
  EACCES:
    "is not open to the gateway's user: it may not {syscall} {path} (see their owner and mode)",
  'mkdir:EACCES':
    "is not writable by the gateway's user: it may not make {path}",
  'open:EACCES':
    "is not writable by the gateway's user: it may not open {path} (left by a gateway run as another user, such as root?)",
  'mkdir:EEXIST': 'cannot be used: {path} is a file, not a directory',
  'mkdir:ENOENT':
    'cannot be made: the directory above {path} takes no new one (such as /proc)',
  'link:EPERM':
    'cannot be used: its filesystem takes no hard links, which the spool lock needs',
};

/**
 * The error a spool at `dir` that cannot start gave, as one that names GATEWAY_SPOOL_DIR and
 * what is wrong with it: Node's own (`EROFS: read-only file system, open
 * '.../owner.lock.1f3a'`) names neither, and is all a refused start prints. An error that is
 * not the filesystem's (a spool another gateway holds) says so already, and is kept.
 */
export function spoolFault(dir: string, error: unknown): unknown {
  const { code, syscall, path } = error as NodeJS.ErrnoException;
  if (!code) return error;
  const what = (
    FAULTS[`${syscall}:${code}`] ??
    FAULTS[code] ??
    'cannot be used'
  )
    .replace('{syscall}', syscall ?? 'use')
    .replace('{path}', path ?? dir);
  return new Error(
    `GATEWAY_SPOOL_DIR ${dir} ${what} (${(error as Error).message})`,
    { cause: error },
  );
}

/**
 * The spool at `dir`, claimed and recovered (the open segments a killed predecessor left,
 * sealed), or an error from `spoolFault`: every step of its start can fail on the directory.
 */
export function openSpool(
  dir: string,
  options: DiskSpoolOptions,
): { spool: DiskSpool; recovered: RecoveredSpool } {
  let spool: DiskSpool | undefined;
  try {
    spool = new DiskSpool(dir, options);
    return { spool, recovered: spool.recover() };
  } catch (error) {
    // A claimed spool is given back: a caller that goes on (a test) must not hold it.
    spool?.close().catch(() => undefined);
    throw spoolFault(dir, error);
  }
}
