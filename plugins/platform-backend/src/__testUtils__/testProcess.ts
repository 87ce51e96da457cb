import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';

/** A TCP port nothing listens on right now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  await new Promise(resolve => server.close(resolve));
  return port;
}

/** A process a test started; `kill` waits until it is gone. */
export interface TestProcess {
  child: ChildProcess;
  output(): string;
  kill(): Promise<void>;
}

/**
 * Spawns a process and waits (bounded) until its output matches `ready`. Fails with the
 * process's output when it exits first or does not get ready, naming the command.
 */
export async function startTestProcess(
  command: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; ready: RegExp; timeoutMs?: number },
): Promise<TestProcess & { match: RegExpExecArray }> {
  const child = spawn(command, args, {
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<void>(resolve => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  const kill = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
    }
    await exited;
  };
  const match = await new Promise<RegExpExecArray>((resolve, reject) => {
    const timer = setTimeout(() => {
      kill();
      reject(new Error(`${command} did not start in time; output:\n${output}`));
    }, options.timeoutMs ?? 60_000);
    const onData = (data: Buffer) => {
      output += data.toString('utf8');
      const found = options.ready.exec(output);
      if (found) {
        clearTimeout(timer);
        resolve(found);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('error', error => {
      clearTimeout(timer);
      reject(new Error(`cannot start ${command}: ${error.message}`));
    });
    child.once('exit', code => {
      clearTimeout(timer);
      reject(new Error(`${command} exited with ${code}; output:\n${output}`));
    });
  });
  return { child, match, output: () => output, kill };
}
