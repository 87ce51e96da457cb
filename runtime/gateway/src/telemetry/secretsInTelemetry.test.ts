/**
 * Traces and logs never carry a secret: not a caller's key (a right one or a wrong one), not
 * an upstream's credential, not the admin token, and, for a tenant that has not opted in to
 * content capture, not its prompt, even when a failing upstream quotes the request back in its
 * error. A gateway process at debug level exports to an OTLP collector on loopback; its spans'
 * raw bytes and its whole output are searched.
 */
import type { SimulatorServer } from '@cellport/simulator';
import {
  ADMIN_TOKEN,
  eventually,
  KEYS,
  postChat,
  startSimulator,
  testState,
} from '../__testUtils__/fixtures';
import { OtlpReceiver } from '../__testUtils__/OtlpReceiver';
import type { TestProcess } from '../__testUtils__/processes';
import { RawUpstream } from '../__testUtils__/RawUpstream';
import { startStateFileGateway } from '../__testUtils__/stateFileGateway';

// Real processes and servers: generous limits so a loaded CI machine does not fail them.
jest.setTimeout(90_000);

const PROMPT = 'Streng geheim: Kontonummer 4711-Zoë 秘密';
const UPSTREAM_CREDENTIAL = 'sk-test-upstream-credential-0123456789abcdef';
const WRONG_KEY = 'cp-test-wrong-key-secret-0001';

describe('secrets in telemetry', () => {
  let simulator: SimulatorServer;
  let upstream: RawUpstream;
  let receiver: OtlpReceiver;
  let gateway: TestProcess & { url: string };

  beforeAll(async () => {
    simulator = await startSimulator();
    upstream = new RawUpstream();
    const upstreamUrl = await upstream.start();
    // Some servers quote the request in their errors: its credential header and its prompt.
    upstream.answer = (req, res) => {
      res.writeHead(500, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          error: {
            message: `boom; you sent authorization=${req.headers.authorization} prompt=${PROMPT}`,
          },
        }),
      );
    };
    receiver = new OtlpReceiver();
    const tracesUrl = await receiver.start();
    const state = testState(simulator.url);
    for (const id of ['eu-large', 'us-large']) {
      const profile = state.modelProfiles.find(p => p.id === id)!;
      profile.endpoint = `${upstreamUrl}/v1`;
      profile.credentialEnv = 'TEST_UPSTREAM_KEY';
    }
    state.tenants.find(t => t.id === 'brightpath')!.telemetry = {
      captureContent: true,
    };
    gateway = await startStateFileGateway(state, {
      GATEWAY_ADMIN_TOKEN: ADMIN_TOKEN,
      LOG_LEVEL: 'debug',
      TEST_UPSTREAM_KEY: UPSTREAM_CREDENTIAL,
      OTEL_EXPORTER_OTLP_ENDPOINT: tracesUrl.replace(/\/v1\/traces$/, ''),
      OTEL_TRACES_SAMPLER_ARG: '1',
    });
  });
  afterAll(async () => {
    await gateway?.kill('SIGTERM');
    await receiver?.stop();
    await upstream?.stop();
    await simulator?.stop();
  });

  it('keeps the caller keys, the upstream credential, the admin token and (without opt-in) the prompt out of spans and logs', async () => {
    const control = await fetch(`${gateway.url}/control/state`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(control.status).toBe(200);
    await control.text();
    const ask = (key: string, model: string, content: string) =>
      postChat(
        gateway.url,
        { model, messages: [{ role: 'user', content }] },
        { key },
      ).then(async response => {
        await response.text();
        return response.status;
      });
    // Northwind has not opted in. Its gpt-4o (eu-large) fails with the quoting upstream and
    // falls back to eu-small at the simulator; its gpt-4o-mini is served at once.
    await ask(KEYS.northwind, 'gpt-4o', PROMPT);
    expect(await ask(KEYS.northwind, 'gpt-4o-mini', PROMPT)).toBe(200);
    // Refused before authentication.
    expect(await ask(WRONG_KEY, 'gpt-4o', PROMPT)).toBe(401);
    // Brightpath opts in: its prompt may show, the upstream's credential never.
    await ask(KEYS.brightpath, 'us-large', 'opted-in prompt');
    // Four requests, at least ten spans.
    await eventually(() => receiver.spans.length >= 10, 400);
    await gateway.kill('SIGTERM');
    const leaks = (where: string, text: string) =>
      [
        ['caller key', KEYS.northwind],
        ['caller key', KEYS.brightpath],
        ['wrong caller key', WRONG_KEY],
        ['upstream credential', UPSTREAM_CREDENTIAL],
        ['admin token', ADMIN_TOKEN],
        ['prompt of a tenant without opt-in', PROMPT],
        ['prompt of a tenant without opt-in', 'Kontonummer'],
      ]
        .filter(([, secret]) => text.includes(secret))
        .map(([what]) => `${where}: ${what}`);
    const traces = receiver.bodies.join('\n');
    expect([
      ...leaks('traces', traces),
      ...leaks('logs', gateway.output()),
    ]).toEqual([]);
    // The search read real exports.
    expect(traces).toContain('cellport.tenant');
  });
});
