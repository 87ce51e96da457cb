/**
 * SIGINT (Ctrl-C on a local gateway, or what a process manager sends) drains as SIGTERM does:
 * the stream under way runs to its end, then the process exits 0, even when nothing reads its
 * output any more. A real gateway process;
 * `shutdown.test.ts` holds the drain itself, its timeout and a second signal during it.
 */
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import type { SimulatorServer } from '@cellport/simulator';
import {
  eventually,
  postChat,
  startSimulator,
  testState,
} from './__testUtils__/fixtures';
import { startStateFileGateway } from './__testUtils__/stateFileGateway';

// A real process and servers: generous limits so a loaded CI machine does not fail them.
jest.setTimeout(60_000);

describe('stopping on a signal', () => {
  let simulator: SimulatorServer;
  beforeAll(async () => {
    simulator = await startSimulator();
  });
  afterAll(() => simulator.stop());

  it('lets a stream under way finish on SIGINT, then exits 0', async () => {
    // Slow enough that the signal lands while the answer is still being written.
    simulator.catalog.update('eu-large-model', { tokensPerSecond: 40 });
    const gateway = await startStateFileGateway(testState(simulator.url));
    try {
      const streamed = await postChat(gateway.url, {
        model: 'gpt-4o',
        messages: [{ role: 'user', content: 'a streamed answer to drain' }],
        stream: true,
      });
      expect(streamed.status).toBe(200);
      const exited = once(gateway.child, 'exit');
      gateway.child.kill('SIGINT');
      const text = await streamed.text();
      expect(text).toContain('data: [DONE]');
      expect(await exited).toEqual([0, null]);
    } finally {
      await gateway.kill();
      simulator.catalog.update('eu-large-model', { tokensPerSecond: 0 });
    }
  });

  it('keeps serving for GATEWAY_SHUTDOWN_DELAY_MS after SIGTERM, /ready saying it drains, then exits 0', async () => {
    // Kubernetes sends SIGTERM while the Service still routes to the pod: a port closed at
    // once gave those callers connection errors, and `draining` could never be read.
    const gateway = await startStateFileGateway(testState(simulator.url), {
      // Long enough for a loaded machine to poll /ready and send a chat within it.
      GATEWAY_SHUTDOWN_DELAY_MS: '8000',
    });
    try {
      const exited = once(gateway.child, 'exit');
      gateway.child.kill('SIGTERM');
      let ready: Response | undefined;
      await eventually(async () => {
        ready = await fetch(`${gateway.url}/ready`);
        return ready.status === 503;
      });
      expect(await ready!.json()).toMatchObject({
        status: 'not-ready',
        draining: true,
      });
      const served = await postChat(gateway.url, {
        model: 'gpt-4o',
        messages: [{ role: 'user', content: 'asked while the pod leaves' }],
      });
      expect(served.status).toBe(200);
      // Its keep-alive connection is not kept: the next request goes to another replica.
      expect(served.headers.get('connection')).toBe('close');
      await served.text();
      expect(await exited).toEqual([0, null]);
    } finally {
      await gateway.kill();
    }
  });

  it('reloads its state file on SIGHUP, streams under way untouched, and keeps its state when the file is bad', async () => {
    // Node's default for SIGHUP killed the process and every stream under way.
    const gateway = await startStateFileGateway(testState(simulator.url, 'v1'));
    const version = async () =>
      (await (await fetch(`${gateway.url}/ready`)).json()).stateVersion;
    try {
      simulator.catalog.update('eu-large-model', { tokensPerSecond: 40 });
      const streamed = await postChat(gateway.url, {
        model: 'gpt-4o',
        messages: [{ role: 'user', content: 'a stream across a reload' }],
        stream: true,
      });
      // The stream has begun, and is still being written, when the signal lands.
      const reader = streamed.body!.getReader();
      let text = new TextDecoder().decode((await reader.read()).value);
      writeFileSync(
        gateway.stateFile,
        JSON.stringify(testState(simulator.url, 'v2')),
      );
      gateway.child.kill('SIGHUP');
      await eventually(async () => (await version()) === 'v2');
      expect(text).not.toContain('[DONE]');
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        text += new TextDecoder().decode(value);
      }
      expect(text).toContain('data: [DONE]');
      writeFileSync(gateway.stateFile, '{"version": ');
      gateway.child.kill('SIGHUP');
      await eventually(() =>
        gateway.output().includes('reloading the state file failed'),
      );
      expect(await version()).toBe('v2');
      expect(gateway.child.exitCode).toBeNull();
    } finally {
      await gateway.kill();
      simulator.catalog.update('eu-large-model', { tokensPerSecond: 0 });
    }
  });

  // A portal or supervisor that died leaves its gateways' output with no reader: the drain's
  // log line meets a broken pipe. The signal must still stop the process, not leave an orphan
  // that holds its port and spool.
  it.each(['SIGTERM', 'SIGINT'] as const)(
    'exits 0 on %s when nothing reads its output any more',
    async signal => {
      const gateway = await startStateFileGateway(testState(simulator.url));
      try {
        gateway.child.stdout!.destroy();
        gateway.child.stderr!.destroy();
        const exited = once(gateway.child, 'exit');
        gateway.child.kill(signal);
        const outcome = await Promise.race([
          exited,
          new Promise(resolve => setTimeout(resolve, 20_000, 'still running')),
        ]);
        expect(outcome).toEqual([0, null]);
      } finally {
        await gateway.kill();
      }
    },
  );
});
