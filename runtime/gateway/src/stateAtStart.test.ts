/**
 * A gateway never serves without a valid state: started without one it is alive but not
 * ready, answers callers 503 with Retry-After, stays so through a push the control API
 * refuses, and is ready once a good one lands; given a state file it cannot read or that is
 * invalid, it refuses to start, says why, and never listens. Real gateway processes, as
 * Kubernetes starts them (`readiness.test.ts` holds /ready once a state is in force).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SimulatorServer } from '@cellport/simulator';
import {
  ADMIN_TOKEN,
  KEYS,
  startSimulator,
  testState,
} from './__testUtils__/fixtures';
import { pushState } from './__testUtils__/gatewayCalls';
import { startGatewayProcess } from './__testUtils__/processes';

// Real processes and servers: generous limits so a loaded CI machine does not fail them.
jest.setTimeout(60_000);

describe('the state a gateway starts with', () => {
  let simulator: SimulatorServer;
  beforeAll(async () => {
    simulator = await startSimulator();
  });
  afterAll(() => simulator.stop());

  it('starts not ready without a state, stays so through a refused push, and is ready after a good one', async () => {
    const gateway = await startGatewayProcess({
      GATEWAY_ADMIN_TOKEN: ADMIN_TOKEN,
      GATEWAY_SPOOL_DIR: mkdtempSync(join(tmpdir(), 'cellport-spool-')),
      GATEWAY_EVENTS: 'off',
    });
    try {
      expect((await fetch(`${gateway.url}/health`)).status).toBe(200);
      const ready = await fetch(`${gateway.url}/ready`);
      expect({ status: ready.status, body: await ready.json() }).toEqual({
        status: 503,
        body: {
          status: 'not-ready',
          stateLoaded: false,
          stateVersion: null,
          draining: false,
        },
      });
      const bearer = { authorization: `Bearer ${KEYS.northwind}` };
      const chat = await fetch(`${gateway.url}/v1/chat/completions`, {
        method: 'POST',
        headers: bearer,
        body: JSON.stringify({
          model: 'gpt-4o',
          messages: [{ role: 'user', content: 'hi' }],
        }),
      });
      await chat.text();
      expect({
        status: chat.status,
        retryAfter: chat.headers.get('retry-after'),
      }).toEqual({ status: 503, retryAfter: '5' });
      const models = await fetch(`${gateway.url}/v1/models`, {
        headers: bearer,
      });
      await models.text();
      expect({
        status: models.status,
        retryAfter: models.headers.get('retry-after'),
      }).toEqual({ status: 503, retryAfter: '5' });
      const inForce = await fetch(`${gateway.url}/control/state`, {
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      });
      await inForce.text();
      expect(inForce.status).toBe(404);

      const bad = { ...testState(simulator.url, 'v-bad'), tenants: 'none' };
      const refused = await pushState(gateway.url, bad);
      await refused.text();
      expect(refused.status).toBe(400);
      expect((await fetch(`${gateway.url}/ready`)).status).toBe(503);
      const good = await pushState(
        gateway.url,
        testState(simulator.url, 'v-good'),
      );
      expect(await good.json()).toEqual({ version: 'v-good', changed: true });
      expect(await (await fetch(`${gateway.url}/ready`)).json()).toMatchObject({
        status: 'ready',
        stateVersion: 'v-good',
      });
      expect(gateway.output()).not.toContain(ADMIN_TOKEN);
    } finally {
      await gateway.kill();
    }
  });

  it.each([
    ['missing', undefined, /cannot read gateway state file/],
    ['not JSON', '{"schemaVersion":1,', /cannot read gateway state file/],
    ['invalid', 'a negative budget', /tenants\.1\.monthlyBudgetUsd/],
  ])(
    'refuses to start on a state file that is %s, naming why, and never listens',
    async (_what, content, reason) => {
      const dir = mkdtempSync(join(tmpdir(), 'cellport-state-file-'));
      const file = join(dir, 'state.json');
      if (content === 'a negative budget') {
        const state = testState(simulator.url, 'v-file');
        state.tenants[1].monthlyBudgetUsd = -3;
        writeFileSync(file, JSON.stringify(state));
      } else if (content !== undefined) {
        writeFileSync(file, content);
      }
      const error: Error = await startGatewayProcess({
        GATEWAY_STATE_FILE: file,
        GATEWAY_ADMIN_TOKEN: ADMIN_TOKEN,
        GATEWAY_SPOOL_DIR: dir,
      }).then(
        async started => {
          await started.kill();
          return new Error(`listening at ${started.url}`);
        },
        (refusal: Error) => refusal,
      );
      expect(error.message).toMatch(/exited with 1/);
      expect(error.message).toMatch(reason);
      expect(error.message).not.toContain(ADMIN_TOKEN);
    },
  );
});
