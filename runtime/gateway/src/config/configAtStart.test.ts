/**
 * A setting the gateway cannot use stops its start before it serves anything: exit 1, with a
 * line naming the variable at fault, no stack trace, and none of the secrets it was given (its
 * tokens, a password inside a Redis or NATS URL) in what it prints. A port it cannot listen on
 * is named the same way. Real gateway processes, as a manifest starts them: what each variable
 * refuses is `GatewayConfig.test.ts`'s; here, what an operator reads when one is refused.
 */
import { once } from 'node:events';
import {
  chmodSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testState } from '../__testUtils__/fixtures';
import { mountSmallVolume } from '../__testUtils__/smallVolume';
import { startStateFileGateway } from '../__testUtils__/stateFileGateway';

// Real processes: generous limits so a loaded CI machine does not fail them.
jest.setTimeout(60_000);

const SECRETS = {
  GATEWAY_ADMIN_TOKEN: 'cfg-admin-secret-0001',
  GATEWAY_EVENTS_TOKEN: 'cfg-events-secret-0002',
};

/** A V8 stack frame: `    at fn (file:1:2)`. */
const STACK_FRAME = /^\s+at .+[:(]/m;

/**
 * What a start with `env` printed when it was refused; a start that listens instead is
 * stopped and told as such, so that the expectations below show it.
 */
async function refusedStart(env: NodeJS.ProcessEnv): Promise<string> {
  // A valid state file beside the bad setting, as in a cell; its upstream is never called.
  return startStateFileGateway(testState('http://127.0.0.1:7070'), {
    ...SECRETS,
    GATEWAY_EVENTS_URL: '',
    ...env,
  }).then(
    async started => {
      await started.kill();
      return `listening at ${started.url}`;
    },
    (refusal: Error) => refusal.message,
  );
}

/** What an operator should read of a refused start, and what must not be in it. */
function readOut(printed: string, variable: string, secrets: string[]) {
  return {
    exitedWith1: /exited with 1;/.test(printed),
    namesVariable: printed.includes(variable),
    stackTrace: STACK_FRAME.test(printed),
    secretsPrinted: secrets.filter(secret => printed.includes(secret)),
  };
}

const REFUSED = {
  exitedWith1: true,
  namesVariable: true,
  stackTrace: false,
  secretsPrinted: [],
};

describe('a gateway started with a setting it cannot use', () => {
  it.each([
    // One of each path to the exit (the config reader's number, choice and URL checks, the
    // event sink's): GatewayConfig.test.ts checks every variable's message without a process.
    // A templated manifest whose value rendered blank: not port 0 (a random port).
    [{ GATEWAY_PORT: ' ' }, 'GATEWAY_PORT'],
    [{ GATEWAY_EVENTS: 'kafka' }, 'GATEWAY_EVENTS'],
    [
      { GATEWAY_UPSTREAM_ORIGIN_OVERRIDE: 'not a url' },
      'GATEWAY_UPSTREAM_ORIGIN_OVERRIDE',
    ],
    // A transport without its address is found by the event sink, not the config reader.
    [{ GATEWAY_EVENTS: 'http' }, 'GATEWAY_EVENTS_URL'],
  ])('%j stops the start, naming %s', async (env, variable) => {
    const printed = await refusedStart(env);
    expect({
      ...readOut(printed, variable, Object.values(SECRETS)),
      printed,
    }).toEqual({ ...REFUSED, printed: expect.any(String) });
  });

  it.each([
    [
      'GATEWAY_REDIS_URL',
      { GATEWAY_REDIS_URL: 'redis://:cfg-redis-pass-0003@[bad:6379/0' },
      'cfg-redis-pass-0003',
    ],
    [
      'GATEWAY_NATS_URL',
      {
        GATEWAY_EVENTS: 'nats',
        GATEWAY_NATS_URL: 'nats://gw:cfg-nats-pass-0004@[bad:4222',
      },
      'cfg-nats-pass-0004',
    ],
  ])(
    'names %s it cannot use without printing the password it holds',
    async (variable, env, password) => {
      const printed = await refusedStart(env);
      expect({
        ...readOut(printed, variable, [...Object.values(SECRETS), password]),
        printed,
      }).toEqual({ ...REFUSED, printed: expect.any(String) });
    },
  );

  describe('a GATEWAY_SPOOL_DIR it cannot use', () => {
    // Undone after each test: a clean-up that fails is reported beside the test's own
    // failure, never instead of it.
    const cleanUps: Array<() => void> = [];
    afterEach(() => {
      for (const cleanUp of cleanUps.splice(0)) cleanUp();
    });

    /** A start that spools its events in `dir`, and what it printed. */
    async function spoolingStart(dir: string) {
      const printed = await refusedStart({
        GATEWAY_EVENTS: 'http',
        GATEWAY_EVENTS_URL: 'http://127.0.0.1:9',
        GATEWAY_SPOOL_DIR: dir,
      });
      return {
        ...readOut(printed, 'GATEWAY_SPOOL_DIR', Object.values(SECRETS)),
        printed,
      };
    }

    /** A new directory of the test's own, removed after it. */
    function workDir(): string {
      const dir = mkdtempSync(join(tmpdir(), 'cellport-spool-'));
      cleanUps.push(() => rmSync(dir, { recursive: true, force: true }));
      return dir;
    }

    /**
     * A spool directory this process's user cannot write to, and the error it gives. Root writes
     * through any file mode: a volume mounted read-only stops it, as one mounted readOnly does
     * in a pod. Where root may not mount (no CAP_SYS_ADMIN, as in a container), a kernel
     * filesystem the container runtime mounted read-only (/sys, /proc/sys) stands in for it.
     * Another user is stopped by the mode alone.
     */
    function unwritableDir(): { dir: string; code: string } {
      if (process.getuid?.() !== 0) {
        const dir = workDir();
        chmodSync(dir, 0o555);
        return { dir, code: 'EACCES' };
      }
      try {
        const volume = mountSmallVolume(1024 * 1024, { readOnly: true });
        cleanUps.push(() => volume.unmount());
        return { dir: volume.dir, code: 'EROFS' };
      } catch (cannotMount) {
        const readOnly = readFileSync('/proc/self/mounts', 'utf8')
          .split('\n')
          .map(line => line.split(' '))
          .find(
            ([, path, type, options]) =>
              /^\/(sys|proc)(\/|$)/.test(path ?? '') &&
              ['sysfs', 'proc', 'cgroup', 'cgroup2'].includes(type) &&
              options.split(',').includes('ro'),
          );
        if (!readOnly) throw cannotMount;
        return { dir: join(readOnly[1], 'cellport-spool'), code: 'EROFS' };
      }
    }

    // A start that hangs is killed at startGatewayProcess's 30 s and read as not refused.
    it('refuses a directory that cannot be made (/proc/x), where it hung in mkdir', async () => {
      expect(await spoolingStart('/proc/cellport-spool')).toEqual({
        ...REFUSED,
        printed: expect.stringContaining('cannot be made'),
      });
    });

    it('refuses a path through a file, saying it is not a directory', async () => {
      const work = workDir();
      writeFileSync(join(work, 'file'), '');
      expect(await spoolingStart(join(work, 'file', 'spool'))).toEqual({
        ...REFUSED,
        printed: expect.stringContaining('is not a directory'),
      });
    });

    it('refuses a directory it cannot write to as not writable, not ENOENT', async () => {
      const { dir, code } = unwritableDir();
      const refused = await spoolingStart(dir);
      expect(refused).toEqual({
        ...REFUSED,
        printed: expect.stringMatching(new RegExp(`not writable.*${code}`)),
      });
      expect(refused.printed).not.toContain('ENOENT');
    });
  });

  it('names GATEWAY_HOST:GATEWAY_PORT when it cannot listen there', async () => {
    const taken = createServer();
    taken.listen(0, '127.0.0.1');
    await once(taken, 'listening');
    const port = (taken.address() as { port: number }).port;
    try {
      const printed = await refusedStart({
        GATEWAY_HOST: '127.0.0.1',
        GATEWAY_PORT: String(port),
      });
      expect({
        ...readOut(printed, 'GATEWAY_HOST:GATEWAY_PORT', []),
        saysWhere: printed.includes(`127.0.0.1:${port}`),
        printed,
      }).toEqual({ ...REFUSED, saysWhere: true, printed: expect.any(String) });
    } finally {
      await new Promise(resolve => taken.close(resolve));
    }
  });
});
