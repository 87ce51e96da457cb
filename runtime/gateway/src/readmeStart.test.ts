/**
 * The README's Start section works as written: a gateway process on the committed demo state
 * (`demo/gateway-state.json`), its upstreams sent to a simulator by
 * GATEWAY_UPSTREAM_ORIGIN_OVERRIDE, answers the README's request, and each demo key it names
 * is a caller of that state. The demo state's endpoints point at a simulator on :7070 that is
 * not there, so an answer shows the override in force too.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SimulatorServer } from '@cellport/simulator';
import { postChat, startSimulator } from './__testUtils__/fixtures';
import { startGatewayProcess, TestProcess } from './__testUtils__/processes';

// A real process and servers: generous limits so a loaded CI machine does not fail them.
jest.setTimeout(60_000);

/** What `yarn workspace @cellport/gateway start` resolves the README's relative path against. */
const DEMO_STATE = join(__dirname, '..', 'demo', 'gateway-state.json');

describe("the README's Start command", () => {
  let simulator: SimulatorServer;
  let gateway: TestProcess & { url: string };
  beforeAll(async () => {
    simulator = await startSimulator();
    gateway = await startGatewayProcess({
      GATEWAY_STATE_FILE: DEMO_STATE,
      GATEWAY_ADMIN_TOKEN: 'dev-admin',
      GATEWAY_UPSTREAM_ORIGIN_OVERRIDE: simulator.url,
      // Unset in the README; blank here so that nothing in the test's own environment sends
      // events, and a stray spool is not left in the package folder.
      GATEWAY_EVENTS: '',
      GATEWAY_EVENTS_URL: '',
      GATEWAY_NATS_URL: '',
      GATEWAY_REDIS_URL: '',
      GATEWAY_SPOOL_DIR: join(
        mkdtempSync(join(tmpdir(), 'cellport-demo-')),
        'spool',
      ),
    });
  });
  afterAll(async () => {
    await gateway?.kill();
    await simulator.stop();
  });

  it.each([
    'cp-demo-northwind',
    'cp-demo-northwind-nw-assistant',
    'cp-demo-brightpath',
  ])(
    'answers %s a chat completion from gpt-4o-mini, as its curl asks',
    async key => {
      const response = await postChat(
        gateway.url,
        {
          model: 'gpt-4o-mini',
          messages: [{ role: 'user', content: 'hello' }],
        },
        { key },
      );
      const body = await response.json();
      expect({ status: response.status, object: body.object }).toEqual({
        status: 200,
        object: 'chat.completion',
      });
      expect(body.choices[0].message.content).toEqual(expect.any(String));
    },
  );
});
