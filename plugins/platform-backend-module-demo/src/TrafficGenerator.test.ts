import { mockServices } from '@backstage/backend-test-utils';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { TrafficGenerator } from './TrafficGenerator';

/** A real HTTP server standing in for a gateway: records requests, fails every third. */
async function startFakeGateway() {
  const received: Array<{ authorization?: string; body: any }> = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', c => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      received.push({ authorization: req.headers.authorization, body });
      if (received.length % 3 === 0) {
        res.writeHead(503, { 'content-type': 'application/json' });
        res.end('{"error":{"message":"upstream unavailable"}}');
      } else if (body.stream) {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write('data: {"choices":[{"delta":{"content":"hi"}}]}\n\n');
        res.end('data: [DONE]\n\n');
      } else {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"choices":[{"message":{"content":"hi"}}]}');
      }
    });
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { received, url: `http://127.0.0.1:${port}`, server };
}

function seeded(seed: number) {
  let s = seed;
  return () => {
    s = (s * 16807) % 2147483647;
    return s / 2147483647;
  };
}

describe('TrafficGenerator', () => {
  it('sends chat completions with the demo keys and a mix of models, and counts outcomes', async () => {
    const gateway = await startFakeGateway();
    try {
      const generator = new TrafficGenerator(
        [
          {
            gatewayUrl: gateway.url,
            apiKey: 'cpk_demo_a',
            models: ['gpt-4o-mini', 'gpt-4o'],
          },
          {
            gatewayUrl: `${gateway.url}/`,
            apiKey: 'cpk_demo_b',
            models: ['llama-3-1-70b'],
          },
        ],
        {
          requestsPerSecond: 2,
          logger: mockServices.logger.mock(),
          random: seeded(7),
        },
      );
      for (let i = 0; i < 30; i++) await generator.sendOne();

      expect(generator.stats).toEqual({
        sent: 30,
        succeeded: 20,
        failed: 10,
        unreachable: 0,
      });
      const keys = new Set(gateway.received.map(r => r.authorization));
      expect(keys).toEqual(new Set(['Bearer cpk_demo_a', 'Bearer cpk_demo_b']));
      const models = new Set(gateway.received.map(r => r.body.model));
      expect(models.size).toBe(3);
      expect(gateway.received.some(r => r.body.stream)).toBe(true);
      expect(gateway.received.some(r => !r.body.stream)).toBe(true);
      const modelsOfB = gateway.received
        .filter(r => r.authorization === 'Bearer cpk_demo_b')
        .map(r => r.body.model);
      expect(new Set(modelsOfB)).toEqual(new Set(['llama-3-1-70b']));
    } finally {
      gateway.server.close();
    }
  });

  it('counts an unreachable gateway instead of failing', async () => {
    const logger = mockServices.logger.mock();
    const generator = new TrafficGenerator(
      [{ gatewayUrl: 'http://127.0.0.1:9', apiKey: 'k', models: ['m'] }],
      { requestsPerSecond: 1, logger, timeoutMs: 2000 },
    );
    await generator.sendOne();
    expect(generator.stats.unreachable).toBe(1);
    expect(logger.warn).toHaveBeenCalled();
  });
});
