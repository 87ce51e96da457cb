/**
 * A profile whose credential variable (`credentialEnv`) the replica lacks (a Deployment that
 * leaves it out) is never called without its key: its fallbacks serve, or the caller gets a
 * 503 that names no variable; its circuit stays closed; and the operator reads which
 * variables are missing, for which profiles, when the state is loaded or pushed.
 */
import type { SimulatorServer } from '@cellport/simulator';
import {
  KEYS,
  postChat,
  startGateway,
  startSimulator,
  testState,
} from '../__testUtils__/fixtures';
import { capturedLogs } from '../__testUtils__/capturedLogs';
import { pushState } from '../__testUtils__/gatewayCalls';
import { RawUpstream } from '../__testUtils__/RawUpstream';
import type { Gateway } from '../createGateway';

jest.setTimeout(30_000);

describe('a profile whose credential this gateway lacks', () => {
  let simulator: SimulatorServer;
  beforeAll(async () => {
    simulator = await startSimulator();
  });
  afterAll(() => simulator.stop());
  afterEach(() => simulator.stats.reset());

  function withCredential(version: string, variable: string) {
    const state = testState(simulator.url, version);
    state.modelProfiles.find(p => p.id === 'eu-large')!.credentialEnv =
      variable;
    return state;
  }

  async function gatewayWith(env: NodeJS.ProcessEnv) {
    const { logger, entries } = capturedLogs();
    const started = await startGateway(simulator.url, {
      state: withCredential('v-cred', 'EU_LARGE_KEY'),
      overrides: { logger, env },
    });
    return { ...started, logs: entries };
  }

  const ask = (url: string, key: string) =>
    postChat(
      url,
      { model: 'auto', messages: [{ role: 'user', content: 'hi' }] },
      { key },
    );

  it('is passed over, its fallback serving, its circuit closed, the variable logged', async () => {
    const { gateway, url, logs } = await gatewayWith({});
    try {
      for (let i = 0; i < 6; i++) {
        const answer = await ask(url, KEYS.northwindAgent);
        expect(answer.status).toBe(200);
        expect((await answer.json()).model).toBe('eu-small-model');
      }
      expect(simulator.stats.snapshot().byModel['eu-large-model']).toBe(
        undefined,
      );
      expect(gateway.deps.health.get('eu-large').breaker.state).toBe('closed');
      expect(logs().find(l => l.missing)).toMatchObject({
        level: 50,
        missing: { EU_LARGE_KEY: ['eu-large'] },
      });
      // A push that names another missing variable is reported as it lands.
      expect(
        (await pushState(url, withCredential('v-cred-2', 'EU_LARGE_KEY_2')))
          .status,
      ).toBe(200);
      expect(
        logs()
          .filter(l => l.missing)
          .at(-1)!.missing,
      ).toEqual({
        EU_LARGE_KEY_2: ['eu-large'],
      });
    } finally {
      await gateway.stop();
    }
  });

  it.each([false, true])(
    'is 503 where it is the only route (stream %s), saying its upstream is not configured, naming no variable, inviting no retry',
    async stream => {
      const { gateway, url } = await gatewayWith({ EU_LARGE_KEY: '  ' });
      try {
        const answer = await postChat(url, {
          model: 'gpt-4o',
          messages: [{ role: 'user', content: 'hi' }],
          stream,
        });
        const text = await answer.text();
        expect(answer.status).toBe(503);
        // A missing credential does not come back in 5 s: a Retry-After would only bring
        // the caller's retries (OpenAI's clients honour it) to the same refusal.
        expect(answer.headers.get('retry-after')).toBeNull();
        expect(JSON.parse(text).error).toMatchObject({
          code: 'upstream_not_configured',
          message: expect.stringContaining('eu-large is not configured'),
        });
        expect(text).not.toContain('EU_LARGE_KEY');
        expect(simulator.stats.snapshot().requests).toBe(0);
      } finally {
        await gateway.stop();
      }
    },
  );

  /**
   * Runs `check` on a gateway whose profile `down` calls an upstream answering 503 with
   * `headers`, and whose profile `unset` names a credential variable the gateway lacks.
   */
  async function withUpstreamDown(
    down: string,
    unset: string,
    headers: Record<string, string>,
    check: (url: string, upstream: RawUpstream) => Promise<void>,
  ) {
    const upstream = new RawUpstream();
    let gateway: Gateway | undefined;
    try {
      const upstreamUrl = await upstream.start();
      upstream.answer = (_req, res) => res.writeHead(503, headers).end();
      const state = testState(simulator.url, `v-${down}-down`);
      const profile = (id: string) =>
        state.modelProfiles.find(p => p.id === id)!;
      profile(unset).credentialEnv = 'UNSET_KEY';
      profile(down).endpoint = `${upstreamUrl}/v1`;
      let url: string;
      ({ gateway, url } = await startGateway(simulator.url, {
        state,
        overrides: { env: {} },
      }));
      await check(url, upstream);
    } finally {
      await gateway?.stop();
      await upstream.stop();
    }
  }

  it('leaves an honest Retry-After where a configured fallback was tried and asked for one', async () => {
    // The unconfigured primary passed over, its fallback refusing 503 with Retry-After: 7.
    await withUpstreamDown(
      'eu-small',
      'eu-large',
      { 'retry-after': '7' },
      async (url, upstream) => {
        const answer = await ask(url, KEYS.northwindAgent);
        expect(answer.status).toBe(503);
        expect(answer.headers.get('retry-after')).toBe('7');
        expect((await answer.json()).error.code).toBe('upstream_unavailable');
        expect(upstream.calls).toBeGreaterThan(0);
      },
    );
  });

  it("answers the configured primary's failure, not the unconfigured fallback's", async () => {
    // The primary down (503 without Retry-After), its only fallback lacking its credential:
    // the caller is told the upstream is unavailable, and may retry, not that it is unset.
    await withUpstreamDown(
      'eu-large',
      'eu-small',
      {},
      async (url, upstream) => {
        const answer = await ask(url, KEYS.northwindAgent);
        expect(answer.status).toBe(503);
        expect((await answer.json()).error.code).toBe('upstream_unavailable');
        expect(answer.headers.get('retry-after')).toBe('5');
        expect(upstream.calls).toBeGreaterThan(0);
      },
    );
  });

  it('is called without it where every call goes to a stand-in (GATEWAY_UPSTREAM_ORIGIN_OVERRIDE)', async () => {
    // The embedded default and the demo point the catalog's real endpoints at the simulator,
    // which takes calls without a key.
    const { logger, entries } = capturedLogs();
    const { gateway, url } = await startGateway(simulator.url, {
      state: withCredential('v-cred', 'EU_LARGE_KEY'),
      config: { upstreamOriginOverride: simulator.url },
      overrides: { env: {}, logger },
    });
    try {
      const answer = await ask(url, KEYS.northwindAgent);
      expect((await answer.json()).model).toBe('eu-large-model');
      expect(entries().some(l => l.missing)).toBe(false);
    } finally {
      await gateway.stop();
    }
  });

  it('is called once the variable is set', async () => {
    const { gateway, url, logs } = await gatewayWith({
      EU_LARGE_KEY: 'sk-eu-large-0001',
    });
    try {
      const answer = await ask(url, KEYS.northwindAgent);
      expect((await answer.json()).model).toBe('eu-large-model');
      expect(logs().some(l => l.missing)).toBe(false);
    } finally {
      await gateway.stop();
    }
  });
});
