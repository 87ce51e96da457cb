/**
 * An upstream credential never reaches a caller, a log line or an event, however short it is:
 * one of 4 characters or more is blanked out of whatever an upstream quotes back (a key under
 * 8 once went through in clear), and a shorter one, no real key and too short to blank out
 * without blanking out words, is never sent: its profile is passed over as one whose
 * credential is unset, and the operator reads which variable. Through a real gateway and an
 * upstream that quotes every credential header it is sent.
 */
import type { SimulatorServer } from '@cellport/simulator';
import type { GatewayModelProfile } from '@cellport/plugin-platform-common';
import {
  postChat,
  startGateway,
  startSimulator,
  testState,
} from '../__testUtils__/fixtures';
import { capturedLogs } from '../__testUtils__/capturedLogs';
import { RawUpstream } from '../__testUtils__/RawUpstream';

jest.setTimeout(30_000);

describe('a short upstream credential', () => {
  let simulator: SimulatorServer;
  let upstream: RawUpstream;
  let upstreamUrl: string;
  beforeAll(async () => {
    simulator = await startSimulator();
    upstream = new RawUpstream();
    upstreamUrl = await upstream.start();
    // Refuses every call, quoting each credential header it was sent, and the bearer token
    // alone, where no pattern of a credential would find it.
    upstream.answer = (req, res) => {
      const quoted = ['authorization', 'api-key', 'x-api-key']
        .map(name => `${name}=${req.headers[name]}`)
        .concat(`token=${req.headers.authorization?.slice('Bearer '.length)}`)
        .join(' ');
      res
        .writeHead(400, { 'content-type': 'application/json' })
        .end(JSON.stringify({ error: { message: `bad key: ${quoted}` } }));
    };
  });
  afterAll(async () => {
    await upstream.stop();
    await simulator.stop();
  });

  /** Northwind's `gpt-4o` (eu-large, its only route) at the quoting upstream, keyed by SHORT_KEY. */
  async function gatewayWith(
    provider: GatewayModelProfile['provider'],
    key: string,
  ) {
    const state = testState(simulator.url, `v-short-${provider}`);
    const profile = state.modelProfiles.find(p => p.id === 'eu-large')!;
    profile.provider = provider;
    profile.endpoint =
      provider === 'anthropic' ? upstreamUrl : `${upstreamUrl}/v1`;
    profile.credentialEnv = 'SHORT_KEY';
    const { logger, lines } = capturedLogs('debug');
    const started = await startGateway(simulator.url, {
      state,
      overrides: { logger, env: { SHORT_KEY: `${key}\n` } },
    });
    return { ...started, lines };
  }

  it.each([
    ['openai', 'Zq7x'],
    ['azure-openai', 'Zq7x'],
    ['anthropic', 'Zq7x'],
    ['openai', 'k3Y9pQw'],
    ['anthropic', 'k3Y9pQw'],
  ] as const)(
    'of %s, %s, is blanked out of the refusal its upstream quotes it in',
    async (provider, key) => {
      const { gateway, url, events, lines } = await gatewayWith(provider, key);
      const callsBefore = upstream.calls;
      try {
        const answer = await postChat(url, {
          model: 'gpt-4o',
          messages: [{ role: 'user', content: 'hi' }],
        });
        const text = await answer.text();
        expect(upstream.calls).toBeGreaterThan(callsBefore);
        expect(answer.status).toBe(400);
        expect(text).toContain('bad key');
        expect(text).toContain('[redacted]');
        expect(text).not.toContain(key);
        expect(lines.filter(line => line.includes(key))).toEqual([]);
        expect(JSON.stringify(events.events)).not.toContain(key);
      } finally {
        await gateway.stop();
      }
    },
  );

  it('under 4 characters is never sent: its profile is passed over as unconfigured, its variable logged', async () => {
    const key = 'Zq7';
    const { gateway, url, events, lines } = await gatewayWith('openai', key);
    const callsBefore = upstream.calls;
    try {
      const answer = await postChat(url, {
        model: 'gpt-4o',
        messages: [{ role: 'user', content: 'hi' }],
      });
      const text = await answer.text();
      expect(upstream.calls).toBe(callsBefore);
      expect(answer.status).toBe(503);
      expect(text).toContain('not configured');
      expect(text).not.toContain(key);
      expect(lines.filter(line => line.includes(key))).toEqual([]);
      expect(JSON.stringify(events.events)).not.toContain(key);
      expect(
        lines.map(line => JSON.parse(line)).find(entry => entry.missing),
      ).toMatchObject({ level: 50, missing: { SHORT_KEY: ['eu-large'] } });
    } finally {
      await gateway.stop();
    }
  });
});
