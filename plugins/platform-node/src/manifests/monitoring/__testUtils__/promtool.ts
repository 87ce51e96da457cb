import { spawnSync } from 'node:child_process';

/** A Debian tool the monitoring tests run: promtool or amtool. */
function run(
  command: 'promtool' | 'amtool',
  debianPackage: string,
  args: string[],
): { status: number | null; stdout: string; output: string } {
  // The command is looked up on this process's PATH as it is now.
  const result = spawnSync(command, args, {
    encoding: 'utf8',
    env: process.env,
  });
  if ((result.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') {
    throw new Error(
      `${command} is not installed: the test command installs Debian's ${debianPackage} package; run \`apt-get install ${debianPackage}\``,
    );
  }
  return {
    status: result.status,
    stdout: result.stdout,
    output: `${result.stdout}${result.stderr}`,
  };
}

/** Runs Prometheus' promtool (Debian's `prometheus` package). */
export function promtool(args: string[]) {
  return run('promtool', 'prometheus', args);
}

/** Runs Alertmanager's amtool (Debian's `prometheus-alertmanager` package). */
export function amtool(args: string[]) {
  return run('amtool', 'prometheus-alertmanager', args);
}
