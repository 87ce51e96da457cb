import { mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Makes `dir` and the directories above it that are missing, one level at a time, instead of
 * Node's `mkdirSync(dir, { recursive: true })`. Node's takes every ENOENT for a missing parent:
 * where the parent exists but takes no new entry (`/proc`, `/sys`) it retries for ever, inside
 * one synchronous call, and on a read-only volume it reports ENOENT for what is EROFS. Here
 * each level's own error is thrown: EROFS, EACCES, ENOTDIR (a file in the path), or ENOENT
 * where the parent exists yet no directory can be made in it.
 */
export function makeDirectory(dir: string): void {
  const parent = dirname(dir);
  try {
    mkdirSync(dir);
    return;
  } catch (error) {
    if (isDirectory(dir)) return;
    const missingParent =
      (error as NodeJS.ErrnoException).code === 'ENOENT' &&
      parent !== dir &&
      !isDirectory(parent);
    if (!missingParent) throw error;
  }
  makeDirectory(parent);
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
