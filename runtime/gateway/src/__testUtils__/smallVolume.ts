import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A volume of the test's own. */
export interface SmallVolume {
  dir: string;
  unmount(): void;
}

/**
 * A tmpfs of `bytes`, which a test can fill to the last byte: a real full volume, with the
 * errors (ENOSPC) the kernel gives; or, `readOnly`, a volume mounted read-only (EROFS), which
 * not even root can write to. Mounting needs root, as the build machines and CI run.
 */
export function mountSmallVolume(
  bytes: number,
  options: { readOnly?: boolean } = {},
): SmallVolume {
  const dir = mkdtempSync(join(tmpdir(), 'cellport-volume-'));
  const mode = options.readOnly ? ',ro' : '';
  try {
    execFileSync(
      'mount',
      ['-t', 'tmpfs', '-o', `size=${bytes}${mode}`, 'tmpfs', dir],
      {
        stdio: 'pipe',
      },
    );
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    const stderr = String((error as { stderr?: Buffer }).stderr ?? error);
    throw new Error(
      `cannot mount a ${bytes}-byte tmpfs at ${dir} for this test (it needs root): ${stderr.trim()}`,
    );
  }
  return {
    dir,
    unmount() {
      execFileSync('umount', ['--lazy', dir], { stdio: 'pipe' });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
