import OpenAI from 'openai';
import type { SimulatorServer } from '@cellport/simulator';
import { KEYS, startGateway, startSimulator } from './__testUtils__/fixtures';

// Real servers, Redis and NATS: generous limits so a loaded CI machine does not fail them.
jest.setTimeout(30_000);

describe('graceful shutdown', () => {
  let simulator: SimulatorServer;
  beforeAll(async () => {
    simulator = await startSimulator();
  });
  afterAll(() => simulator.stop());

  it('drains in-flight streams before stopping, and reports not ready while draining', async () => {
    const { gateway, url, events } = await startGateway(simulator.url);
    simulator.catalog.update('eu-large-model', { tokensPerSecond: 40 });
    try {
      const client = new OpenAI({
        apiKey: KEYS.northwind,
        baseURL: `${url}/v1`,
        maxRetries: 0,
      });
      const stream = await client.chat.completions.create({
        model: 'gpt-4o',
        messages: [{ role: 'user', content: 'a streamed answer to drain' }],
        stream: true,
      });
      const chunks: string[] = [];
      let finish: string | null | undefined;
      let eventsWhenStopped = -1;
      let readyWhileDraining: number | undefined;
      let stopping: Promise<void> | undefined;
      const beginShutdown = async () => {
        stopping = gateway.stop().then(() => {
          eventsWhenStopped = events.usage().length;
        });
        readyWhileDraining = (
          await fetch(`${url}/ready`).catch(() => undefined)
        )?.status;
      };
      for await (const chunk of stream) {
        chunks.push(chunk.choices[0]?.delta?.content ?? '');
        finish = chunk.choices[0]?.finish_reason ?? finish;
        if (!stopping && chunks.length === 2) {
          await beginShutdown();
        }
      }
      // The stream ran to its end although shutdown began in its middle...
      expect(finish).toBe('stop');
      expect(chunks.join('').split(' ').length).toBeGreaterThanOrEqual(8);
      await stopping;
      // ...and the gateway stopped only after the stream had finished and been recorded.
      expect(eventsWhenStopped).toBe(1);
      expect([503, undefined]).toContain(readyWhileDraining);
      expect(events.usage()[0]).toMatchObject({ outcome: 'success' });
      await expect(fetch(`${url}/health`)).rejects.toThrow();
    } finally {
      simulator.catalog.update('eu-large-model', { tokensPerSecond: 0 });
    }
  });
});
