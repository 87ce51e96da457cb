import { connect } from 'node:net';
import OpenAI from 'openai';
import type { SimulatorServer } from '@cellport/simulator';
import {
  ADMIN_TOKEN,
  eventually,
  KEYS,
  startGateway,
  startSimulator,
} from './__testUtils__/fixtures';
import { capturedLogs } from './__testUtils__/capturedLogs';

// Real servers, Redis and NATS: generous limits so a loaded CI machine does not fail them.
jest.setTimeout(30_000);

describe('logs', () => {
  let simulator: SimulatorServer;
  beforeAll(async () => {
    simulator = await startSimulator();
  });
  afterAll(() => simulator.stop());

  it('are JSON lines without keys, tokens or prompts, even at debug level', async () => {
    const { logger, lines } = capturedLogs('debug');
    const { gateway, url } = await startGateway(simulator.url, {
      overrides: { logger },
      // A collector's credentials in its URL, and nothing listening there: the start-up line
      // and the failed exports both name it.
      config: {
        telemetry: {
          otlpTracesEndpoint: 'http://otel:S3cretOtel@127.0.0.1:1/v1/traces',
          sampleRatio: 1,
          serviceName: 'cellport-gateway',
        },
      },
    });
    try {
      const client = (key: string) =>
        new OpenAI({ apiKey: key, baseURL: `${url}/v1`, maxRetries: 0 });
      const prompt = 'my secret prompt text';
      await client(KEYS.northwind).chat.completions.create({
        model: 'gpt-4o',
        messages: [{ role: 'user', content: prompt }],
      });
      await client('cp-wrong-key-0001')
        .models.list()
        .catch(() => undefined);
      simulator.faults.add({
        mode: 'outage',
        model: 'eu-large-model',
        extraLatencyMs: 0,
        retryAfterSeconds: 1,
      });
      await client(KEYS.northwindAgent).chat.completions.create({
        model: 'auto',
        messages: [{ role: 'user', content: prompt }],
      });
      await fetch(`${url}/control/state`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
        body: JSON.stringify(gateway.deps.state.current!.document),
      });
    } finally {
      simulator.faults.clear();
      await gateway.stop();
    }
    const entries = lines.map(line => JSON.parse(line));
    expect(entries.some(entry => entry.msg === 'request')).toBe(true);
    expect(
      entries.find(entry => entry.msg === 'gateway listening')?.tracesTo,
    ).toBe('http://***@127.0.0.1:1/v1/traces');
    expect(
      entries.some(entry => entry.msg === 'upstream attempts failed'),
    ).toBe(true);
    expect(entries.some(entry => entry.msg === 'desired state applied')).toBe(
      true,
    );
    const text = lines.join('\n');
    for (const secret of [
      KEYS.northwind,
      KEYS.northwindAgent,
      'cp-wrong-key-0001',
      ADMIN_TOKEN,
      'my secret prompt',
      'S3cretOtel',
    ]) {
      expect(text).not.toContain(secret);
    }
  });

  it('takes a client that leaves mid-body for a cancelled request, not a gateway fault with a stack', async () => {
    const { logger, lines } = capturedLogs('info');
    const { gateway, url, events } = await startGateway(simulator.url, {
      overrides: { logger },
    });
    try {
      const { port } = new URL(url);
      const socket = connect(Number(port), '127.0.0.1');
      await new Promise(resolve => socket.once('connect', resolve));
      socket.write(
        `POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${KEYS.northwind}\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{"model":`,
      );
      await new Promise(resolve => setTimeout(resolve, 100));
      socket.destroy();
      await eventually(() => events.usage().length === 1);
      expect(events.usage()[0]).toMatchObject({
        status: 499,
        outcome: 'cancelled',
        errorClass: 'client-cancelled',
      });
    } finally {
      await gateway.stop();
    }
    const entries = lines.map(line => JSON.parse(line));
    expect(entries.filter(entry => entry.level >= 50)).toEqual([]);
    expect(lines.join('\n')).not.toContain('"stack"');
  });
});
