import { mockServices } from '@backstage/backend-test-utils';
import fs from 'node:fs';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { LocalGatewayFleet } from './LocalGatewayFleet';

// Real gateway processes, each compiled from TypeScript at start: generous on a loaded machine.
jest.setTimeout(120_000);

const ADMIN_TOKEN = 'local-runtime-test-admin-token';

async function freePort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise(resolve => server.close(resolve));
  return port;
}

async function until<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 90_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise(resolve => setTimeout(resolve, 200));
  }
}

async function answers(url: string): Promise<boolean> {
  try {
    return (await fetch(`${url}/health`)).ok;
  } catch {
    return false;
  }
}

describe('LocalGatewayFleet', () => {
  let stateDir: string;
  const fleets: LocalGatewayFleet[] = [];
  const fleet = (firstPort: number, ports: Record<string, number> = {}) => {
    const created = new LocalGatewayFleet({
      logger: mockServices.logger.mock(),
      adminToken: ADMIN_TOKEN,
      upstreamOrigin: 'http://127.0.0.1:9',
      spoolDir: path.join(stateDir, 'spool'),
      stateDir,
      ports,
      firstPort,
      startTimeoutMs: 90_000,
      restartDelayMs: 100,
      maxRestartDelayMs: 1_000,
    });
    fleets.push(created);
    return created;
  };

  beforeEach(() => {
    stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'local-runtime-'));
  });
  afterEach(async () => {
    await Promise.all(fleets.splice(0).map(f => f.stopAll()));
    fs.rmSync(stateDir, { recursive: true, force: true });
  });

  it('starts a gateway per cell, restarts one that was killed, and stops a removed one', async () => {
    const firstPort = await freePort();
    const local = fleet(firstPort);
    const running: string[] = [];
    local.onRunning(cell => running.push(cell));

    await local.sync(['dedicated-new']);
    expect(local.locate('dedicated-new')).toMatchObject({ state: 'starting' });
    const up = await until('the gateway to run', () =>
      local.locate('dedicated-new')?.state === 'running'
        ? local.locate('dedicated-new')
        : undefined,
    );
    expect(up).toEqual({
      state: 'running',
      baseUrl: `http://127.0.0.1:${firstPort}`,
      adminToken: ADMIN_TOKEN,
    });
    expect(running).toEqual(['dedicated-new']);
    // The reconciler's control API answers with the token the fleet hands out.
    const control = await fetch(`${up.baseUrl}/control/state`, {
      headers: { Authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(control.status).toBe(404);

    // Killed from outside: the cell says so, then gets its gateway back on the same port.
    const pid = (local as any).members.get('dedicated-new').gateway.pid;
    process.kill(pid, 'SIGKILL');
    const failing = await until('the failure to show', () =>
      local.locate('dedicated-new')?.state === 'failing'
        ? local.locate('dedicated-new')
        : undefined,
    );
    expect(failing!.detail).toMatch(/^exited \(SIGKILL\)/);
    await until('the restart', async () => {
      await local.sync(['dedicated-new']);
      return local.locate('dedicated-new')?.state === 'running';
    });
    expect(local.locate('dedicated-new')!.baseUrl).toBe(up.baseUrl);
    expect(running).toEqual(['dedicated-new', 'dedicated-new']);

    // Removed from the catalog: its process stops and the port closes.
    await local.sync([]);
    expect(local.locate('dedicated-new')).toBeUndefined();
    expect(await answers(up.baseUrl!)).toBe(false);
  });

  it('moves a cell to a free port when its own is taken, and keeps it across restarts', async () => {
    const taken = await freePort();
    const squatter = http.createServer((_req, res) => res.end('not a gateway'));
    await new Promise<void>(resolve =>
      squatter.listen(taken, '127.0.0.1', resolve),
    );
    try {
      const local = fleet(taken, { 'helios-vpc': taken });
      await local.sync(['helios-vpc']);
      const failing = await until('the bind failure', () =>
        local.locate('helios-vpc')?.state === 'failing'
          ? local.locate('helios-vpc')
          : undefined,
      );
      expect(failing.detail).toContain('EADDRINUSE');
      const moved = await until('a gateway on another port', async () => {
        await local.sync(['helios-vpc']);
        const found = local.locate('helios-vpc');
        return found?.state === 'running' ? found : undefined;
      });
      expect(moved.baseUrl).not.toBe(`http://127.0.0.1:${taken}`);
      const ports = JSON.parse(
        fs.readFileSync(path.join(stateDir, 'ports.json'), 'utf8'),
      );
      expect(`http://127.0.0.1:${ports['helios-vpc']}`).toBe(moved.baseUrl);

      // A portal that restarts (killed, so its gateways outlived it) adopts the running
      // gateway on the remembered port instead of starting a second one.
      const restarted = fleet(taken);
      await restarted.sync(['helios-vpc']);
      const adopted = await until('adoption', () =>
        restarted.locate('helios-vpc')?.state === 'running'
          ? restarted.locate('helios-vpc')
          : undefined,
      );
      expect(adopted.baseUrl).toBe(moved.baseUrl);
      expect((restarted as any).members.get('helios-vpc').gateway.pid).toBe(
        undefined,
      );
    } finally {
      await new Promise(resolve => squatter.close(resolve));
    }
  });
});
