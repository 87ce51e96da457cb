import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { join } from 'node:path';

/** A TCP port nothing listens on right now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  await new Promise(resolve => server.close(resolve));
  return port;
}

/** A process of the test's own; `kill` waits for it to be gone. */
export interface TestProcess {
  child: ChildProcess;
  output(): string;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * Spawns a process and waits (bounded) until its output matches `ready`; fails with the
 * output when it exits or does not get ready, naming the binary so a missing one is clear.
 */
export async function startProcess(
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
  const kill = async (signal: NodeJS.Signals = 'SIGKILL') => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill(signal);
    }
    await exited;
  };
  const match = await new Promise<RegExpExecArray>((resolve, reject) => {
    const timer = setTimeout(() => {
      kill();
      reject(new Error(`${command} did not start in time; output:\n${output}`));
    }, options.timeoutMs ?? 20_000);
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

/** The gateway's entry point as its own Node process (TypeScript through Backstage's loader). */
export async function startGatewayProcess(
  env: NodeJS.ProcessEnv,
): Promise<TestProcess & { url: string }> {
  const started = await startProcess(
    process.execPath,
    [
      '--require',
      require.resolve('@backstage/cli-node/config/nodeTransform.cjs'),
      join(__dirname, '..', 'index.ts'),
    ],
    {
      env: { GATEWAY_PORT: '0', LOG_LEVEL: 'info', ...env },
      ready: /"url":"(http:\/\/127\.0\.0\.1:\d+)"/,
      timeoutMs: 30_000,
    },
  );
  return { ...started, url: started.match[1] };
}

/** A Redis of the test's own, without persistence: a restart comes back empty. */
export function startRedisServer(
  port: number,
  options: {
    /** Where its snapshot (`SAVE`) is written and read back at the next start; none without. */
    snapshotDir?: string;
  } = {},
): Promise<TestProcess> {
  const snapshot = options.snapshotDir
    ? ['--dir', options.snapshotDir, '--dbfilename', 'dump.rdb']
    : [];
  return startProcess(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      ...snapshot,
    ],
    { ready: /Ready to accept connections/ },
  );
}

/** A NATS server with JetStream of the test's own, storing in `dir` (kept across restarts). */
export function startNatsServer(
  port: number,
  dir: string,
  /** A configuration file (`max_payload`, ...), its settings under the flags'. */
  configFile?: string,
): Promise<TestProcess> {
  return startProcess(
    process.env.CELLPORT_TEST_NATS_SERVER ?? '/usr/sbin/nats-server',
    [
      ...(configFile ? ['-c', configFile] : []),
      ...['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', dir],
    ],
    { ready: /Server is ready/ },
  );
}
