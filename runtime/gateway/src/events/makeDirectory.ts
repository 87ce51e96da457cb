import { mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Makes `dir` and the directories above it that are missing, one level at a time, instead of
 * Node's `mkdirSync(dir, { recursive: true })`. Node's takes every ENOENT for a missing parent:
 * where the parent exists but takes no new entry (`/proc`, `/sys`) it retries for ever, inside
 * one synchronous call, and on a read-only volume it reports ENOENT for what is EROFS. Here
 * each level's own error is thrown: EROFS, EACCES, ENOTDIR (a file in the path), EEXIST (a
 * file where the directory should be), or ENOENT where the parent exists yet no directory can
 * be made in it.
 */
export function makeDirectory(dir: string): void {
  try {
    mkdirSync(dir);
    return;
  } catch (error) {
    if (isDirectory(dir)) return;
    const parent = dirname(dir);
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || parent === dir) {
      throw error;
    }
    // The parent was missing when mkdir ran. Another replica starting together may have made
    // it since: then one more mkdir tells a parent that takes no directory from a late one.
    if (!isDirectory(parent)) makeDirectory(parent);
  }
  try {
    mkdirSync(dir);
  } catch (error) {
    // Made meanwhile by another process (two replicas starting together) will do.
    if (!isDirectory(dir)) throw error;
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
