/**
 * Label values that come from a pushed state (its version, a profile's upstream model) may
 * hold anything the schema allows: quotes, backslashes, newlines (in a version), non-ASCII
 * text. /metrics
 * escapes them as the text format requires, so that a scrape is never refused whole; Prometheus'
 * own `promtool check metrics` judges the exposition of a gateway in process.
 */
import { spawnSync } from 'node:child_process';
import type { SimulatorServer } from '@cellport/simulator';
import {
  postChat,
  startGateway,
  startSimulator,
  testState,
} from '../__testUtils__/fixtures';
import type { Gateway } from '../createGateway';

// Real servers: generous limits so a loaded CI machine does not fail them.
jest.setTimeout(60_000);

const PROMTOOL = process.env.CELLPORT_TEST_PROMTOOL ?? '/usr/bin/promtool';

/** Lint warnings the README accepts: Node's standard gauges named `_total`. */
const ACCEPTED_LINT = /nodejs_active_(handles|requests|resources)_total/;

/** What `promtool check metrics` finds wrong with an exposition, the accepted lint aside. */
function promtoolComplaints(exposition: string): string[] {
  const result = spawnSync(PROMTOOL, ['check', 'metrics'], {
    input: exposition,
    encoding: 'utf8',
  });
  if (result.error) {
    throw new Error(
      `cannot run ${PROMTOOL} (Debian's prometheus package; set CELLPORT_TEST_PROMTOOL): ${result.error.message}`,
    );
  }
  return `${result.stdout}${result.stderr}`
    .split('\n')
    .filter(line => line.trim() !== '' && !ACCEPTED_LINT.test(line));
}

describe('/metrics with label values from a hostile state', () => {
  let simulator: SimulatorServer;
  let gateway: Gateway;
  let url: string;
  // No newline here: an upstream model id holds no control character (upstreamModelSchema).
  const hostileModel = 'vendor/"model"\\v2 next ünïcødé';
  const hostileVersion = 'v"1"\\ \n2 ✓';

  beforeAll(async () => {
    simulator = await startSimulator();
    const state = testState(simulator.url, hostileVersion);
    state.modelProfiles.find(p => p.id === 'eu-large')!.upstreamModel =
      hostileModel;
    ({ gateway, url } = await startGateway(simulator.url, { state }));
  });
  afterAll(async () => {
    await gateway.stop();
    await simulator.stop();
  });

  it('escapes quotes, backslashes and newlines so that promtool accepts the exposition', async () => {
    const answered = await postChat(url, {
      model: 'eu-large',
      max_tokens: 5,
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(answered.status).toBe(200);
    await answered.text();
    const text = await (await fetch(`${url}/metrics`)).text();
    expect(text).toContain(
      'gen_ai_request_model="vendor/\\"model\\"\\\\v2 next ünïcødé"',
    );
    expect(text).toContain('version="v\\"1\\"\\\\ \\n2 ✓"');
    expect(promtoolComplaints(text)).toEqual([]);
  });
});
