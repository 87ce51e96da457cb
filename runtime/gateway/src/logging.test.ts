import { Writable } from 'node:stream';
import OpenAI from 'openai';
import pino from 'pino';
import type { SimulatorServer } from '@cellport/simulator';
import {
  ADMIN_TOKEN,
  KEYS,
  startGateway,
  startSimulator,
} from './__testUtils__/fixtures';

// Real servers, Redis and NATS: generous limits so a loaded CI machine does not fail them.
jest.setTimeout(30_000);

describe('logs', () => {
  let simulator: SimulatorServer;
  beforeAll(async () => {
    simulator = await startSimulator();
  });
  afterAll(() => simulator.stop());

  it('are JSON lines without keys, tokens or prompts, even at debug level', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(...String(chunk).split('\n').filter(Boolean));
        done();
      },
    });
    const { gateway, url } = await startGateway(simulator.url, {
      overrides: { logger: pino({ level: 'debug' }, sink) },
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
    ]) {
      expect(text).not.toContain(secret);
    }
  });
});
