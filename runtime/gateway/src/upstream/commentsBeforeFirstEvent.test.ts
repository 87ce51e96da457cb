import type { SimulatorServer } from '@cellport/simulator';
import type { RoutingDecision } from '@cellport/plugin-platform-common';
import { RawUpstream } from '../__testUtils__/RawUpstream';
import {
  eventually,
  KEYS,
  postChat,
  startGateway,
  startSimulator,
  testState,
} from '../__testUtils__/fixtures';

// Real servers on a loaded machine: generous limits.
jest.setTimeout(30_000);

/**
 * A primary that dies after sending only SSE comments (OpenRouter's ": OPENROUTER
 * PROCESSING", a proxy's keep-alive) has sent no event its caller could act on: the healthy
 * fallback serves the request, as it does a stream that dies before its first event.
 */
describe('a primary stream that sends only a comment, then dies', () => {
  let simulator: SimulatorServer;
  let primary: RawUpstream;
  let primaryUrl: string;

  beforeAll(async () => {
    simulator = await startSimulator();
    primary = new RawUpstream();
    primaryUrl = await primary.start();
  });
  afterAll(async () => {
    await primary.stop();
    await simulator.stop();
  });

  it.each([
    ['cut off', 'cut'],
    ['reports an error event', 'error'],
  ])(
    '/v1/chat/completions stream: the fallback serves it when the primary %s after a comment',
    async (_how, how) => {
      primary.answer = (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write(': PROCESSING\n\n');
        setTimeout(() => {
          if (how === 'cut') {
            res.destroy();
          } else {
            res.end(
              'data: {"error":{"message":"overloaded","type":"server_error"}}\n\n',
            );
          }
        }, 50);
      };
      const state = testState(simulator.url);
      state.modelProfiles.find(
        p => p.id === 'eu-large',
      )!.endpoint = `${primaryUrl}/v1`;
      const { gateway, url, events } = await startGateway(simulator.url, {
        state,
      });
      try {
        const response = await postChat(
          url,
          {
            model: 'auto',
            stream: true,
            messages: [{ role: 'user', content: 'hello' }],
          },
          { key: KEYS.northwindAgent },
        );
        const text = await response.text();
        expect(primary.calls).toBeGreaterThan(0);
        expect(response.status).toBe(200);
        expect(text).not.toContain('"error"');
        expect(text).toContain('data: [DONE]');
        await eventually(() => events.decisions().length === 1);
        expect((events.decisions()[0] as RoutingDecision).chosen).toBe(
          'eu-small',
        );
      } finally {
        await gateway.stop();
      }
    },
  );
});
