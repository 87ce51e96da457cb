import OpenAI from 'openai';
import { UpstreamHttp } from './UpstreamHttp';
import type { SimulatorServer } from '@cellport/simulator';
import {
  KEYS,
  startGateway,
  startSimulator,
  testState,
} from '../__testUtils__/fixtures';

// Real servers, Redis and NATS: generous limits so a loaded CI machine does not fail them.
jest.setTimeout(30_000);

describe('UpstreamHttp origin override (embedded default)', () => {
  let simulator: SimulatorServer;
  beforeAll(async () => {
    simulator = await startSimulator();
  });
  afterAll(() => simulator.stop());

  it("sends calls for the catalog's real endpoints to the simulator, keeping their paths", async () => {
    const state = testState(simulator.url);
    for (const profile of state.modelProfiles) {
      profile.endpoint =
        profile.provider === 'anthropic'
          ? 'https://api.anthropic.com/v1'
          : 'https://api.openai.com/v1';
    }
    const { gateway, url } = await startGateway(simulator.url, {
      state,
      config: { upstreamOriginOverride: simulator.url },
    });
    try {
      const client = new OpenAI({
        apiKey: KEYS.brightpath,
        baseURL: `${url}/v1`,
        maxRetries: 0,
      });
      for (const model of ['gpt-4o-mini', 'claude-haiku']) {
        const answer = await client.chat.completions.create({
          model,
          messages: [{ role: 'user', content: 'hello' }],
        });
        expect(answer.choices[0].message.content).toBeTruthy();
      }
      expect(simulator.stats.snapshot().byModel).toMatchObject({
        'us-small-model': 1,
        'claude-model': 1,
      });
    } finally {
      await gateway.stop();
    }
  });
});

describe('UpstreamHttp.postBuffered', () => {
  it('answers an endpoint that is not a URL with a failure of that upstream, not a throw', async () => {
    const http = new UpstreamHttp({
      headersTimeoutMs: 1000,
      bodyTimeoutMs: 1000,
    });
    try {
      await expect(
        http.postBuffered('not a url', {}, '{}', new AbortController().signal),
      ).resolves.toMatchObject({
        errorClass: 'upstream-unavailable',
        retriable: true,
      });
    } finally {
      await http.close();
    }
  });
});
