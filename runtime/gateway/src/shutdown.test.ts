import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import type { SimulatorServer } from '@cellport/simulator';
import {
  eventually,
  KEYS,
  postChat,
  startGateway,
  startSimulator,
  testState,
} from './__testUtils__/fixtures';
import { startGatewayProcess } from './__testUtils__/processes';

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

  it('drains on a second signal as on the first, and exits 0 once the stream has ended', async () => {
    const work = mkdtempSync(join(tmpdir(), 'cellport-signals-'));
    writeFileSync(
      join(work, 'state.json'),
      JSON.stringify(testState(simulator.url)),
    );
    simulator.catalog.update('eu-large-model', { tokensPerSecond: 40 });
    const gateway = await startGatewayProcess({
      GATEWAY_STATE_FILE: join(work, 'state.json'),
      GATEWAY_SPOOL_DIR: join(work, 'spool'),
      GATEWAY_EVENTS: 'off',
      GATEWAY_REDIS_URL: '',
      GATEWAY_NATS_URL: '',
    });
    try {
      const streamed = await postChat(gateway.url, {
        model: 'gpt-4o',
        messages: [{ role: 'user', content: 'a streamed answer to drain' }],
        stream: true,
      });
      const exited = once(gateway.child, 'exit');
      gateway.child.kill('SIGTERM');
      await new Promise(resolve => setTimeout(resolve, 100));
      gateway.child.kill('SIGTERM');
      const text = await streamed.text();
      expect(text).toContain('data: [DONE]');
      expect(await exited).toEqual([0, null]);
    } finally {
      await gateway.kill();
      simulator.catalog.update('eu-large-model', { tokensPerSecond: 0 });
    }
  });

  it("answers what the drain could not finish, streams with their API's error event and a clean end, as the gateway's failure", async () => {
    const { gateway, url, events } = await startGateway(simulator.url, {
      config: { drainTimeoutMs: 300 },
      // One failure opens a circuit: a cut counted as the upstream's failure would show.
      overrides: { breaker: { failureThreshold: 1, openMs: 60_000 } },
    });
    simulator.catalog.update('eu-large-model', { tokensPerSecond: 20 });
    simulator.faults.add({
      mode: 'slow',
      model: 'eu-small-model',
      extraLatencyMs: 5_000,
      retryAfterSeconds: 1,
    });
    const prompt = [{ role: 'user', content: 'a long streamed answer' }];
    try {
      // A JSON request waits on its slow upstream; a stream of each API is under way.
      const waiting = postChat(url, {
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'an answer that comes late' }],
        max_tokens: 2_000,
      });
      const [chat, responses, messages] = await Promise.all([
        postChat(url, {
          model: 'gpt-4o',
          messages: prompt,
          max_tokens: 400,
          stream: true,
        }),
        postChat(
          url,
          {
            model: 'gpt-4o',
            input: prompt,
            max_output_tokens: 400,
            stream: true,
          },
          { path: '/v1/responses' },
        ),
        postChat(
          url,
          { model: 'gpt-4o', messages: prompt, max_tokens: 400, stream: true },
          { path: '/v1/messages' },
        ),
      ]);
      const readers = [chat, responses, messages].map(response =>
        response.body!.getReader(),
      );
      const texts = await Promise.all(
        readers.map(async reader =>
          new TextDecoder().decode((await reader.read()).value),
        ),
      );
      const stopped = gateway.stop();
      // Read to the end: a dropped connection would make this throw.
      await Promise.all(
        readers.map(async (reader, at) => {
          for (let part = await reader.read(); !part.done; ) {
            texts[at] += new TextDecoder().decode(part.value);
            part = await reader.read();
          }
        }),
      );
      const [chatText, responsesText, messagesText] = texts;
      expect(chatText).toContain('"code":"gateway_shutting_down"');
      expect(chatText).not.toContain('[DONE]');
      // Nothing tells a caller of the translated APIs that the cut answer was complete.
      expect(responsesText).toMatch(
        /event: error\ndata: \{"type":"error","sequence_number":\d+,"code":"gateway_shutting_down"/,
      );
      expect(responsesText).not.toMatch(/response\.completed|\.done"/);
      expect(messagesText).toContain('"type":"overloaded_error"');
      expect(messagesText).not.toMatch(
        /message_stop|content_block_stop|end_turn/,
      );
      const late = await waiting;
      expect(late.status).toBe(503);
      expect(late.headers.get('retry-after')).toBe('1');
      expect((await late.json()).error.code).toBe('gateway_shutting_down');
      await stopped;
      await eventually(() => events.usage().length === 4);
      for (const usage of events.usage()) {
        expect(usage).toMatchObject({
          status: 503,
          outcome: 'error',
          errorClass: 'internal',
        });
        // Streams pay for what they got; the JSON request, told to retry, its prompt only.
        expect(usage.outputTokens > 0).toBe(usage.stream);
      }
      // Neither upstream failed: the stop cut them short.
      for (const profile of ['eu-large', 'eu-small']) {
        expect(gateway.deps.health.get(profile).breaker.state).toBe('closed');
      }
    } finally {
      simulator.faults.clear();
      simulator.catalog.update('eu-large-model', { tokensPerSecond: 0 });
    }
  });
});
