import type { Server, ServerResponse } from 'node:http';
import type { PlatformEvent } from '@cellport/plugin-platform-common';
import type { SimulatorServer } from '@cellport/simulator';
import {
  KEYS,
  postChat,
  startGateway,
  startSimulator,
} from '../__testUtils__/fixtures';
import type { EventSink } from '../events/EventSink';

// Real servers, Redis and NATS: generous limits so a loaded CI machine does not fail them.
jest.setTimeout(30_000);

/**
 * Records, for each publish, whether the response of the request being served had already
 * ended, and whether it ended before the sink said the events were written (a turn later, as
 * the spool's group commit does): a process killed between the two would have answered
 * without its events.
 */
class OrderCheckingSink implements EventSink {
  current?: ServerResponse;
  /** What the response being served has written so far. */
  sent = '';
  readonly published: Array<{
    types: string[];
    responseEnded: boolean;
    endedBeforeWritten?: boolean;
    /** Whether the caller had been told its stream is complete before the events were written. */
    toldComplete: boolean;
    /** Whether the gateway said no other request was being served. */
    alone?: boolean;
  }> = [];
  publish(events: PlatformEvent[], written: () => void, alone?: boolean): void {
    const entry: (typeof this.published)[number] = {
      types: events.map(event => event.type),
      alone,
      responseEnded: this.current?.writableEnded ?? true,
      toldComplete: /\[DONE\]|event: (message_stop|response\.completed)/.test(
        this.sent,
      ),
    };
    this.published.push(entry);
    const response = this.current;
    setImmediate(() => {
      entry.endedBeforeWritten = response?.writableEnded ?? true;
      written();
    });
  }
  async close(): Promise<void> {}
}

describe('RequestLifecycle', () => {
  let simulator: SimulatorServer;
  beforeAll(async () => {
    simulator = await startSimulator();
  });
  afterAll(() => simulator.stop());

  it('publishes the events before the response ends, for answers, streams and errors', async () => {
    const sink = new OrderCheckingSink();
    const { gateway, url } = await startGateway(simulator.url, {
      overrides: { events: sink },
    });
    // One request at a time: the response being served is the last one that came in.
    (gateway.server as unknown as { server: Server }).server.prependListener(
      'request',
      (_req, res) => {
        sink.current = res;
        sink.sent = '';
        const write = res.write;
        res.write = ((chunk: unknown, ...rest: unknown[]) => {
          sink.sent += String(chunk);
          return write.apply(res, [chunk, ...rest] as never);
        }) as typeof res.write;
      },
    );
    const ask = (body: object, path = '/v1/chat/completions') =>
      fetch(`${url}${path}`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${KEYS.northwind}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify(
          path === '/v1/responses'
            ? body
            : { messages: [{ role: 'user', content: 'in order' }], ...body },
        ),
      });
    try {
      const json = await ask({ model: 'gpt-4o-mini' });
      expect((await json.json()).choices[0].message.content).toBeTruthy();
      const stream = await ask({ model: 'gpt-4o-mini', stream: true });
      expect(await stream.text()).toContain('data: [DONE]');
      const responses = await ask(
        { model: 'gpt-4o-mini', stream: true, input: 'in order' },
        '/v1/responses',
      );
      expect(await responses.text()).toContain('event: response.completed');
      const messages = await ask(
        { model: 'gpt-4o-mini', stream: true, max_tokens: 16 },
        '/v1/messages',
      );
      expect(await messages.text()).toContain('event: message_stop');
      const unknown = await ask({ model: 'no-such-model' });
      expect(unknown.status).toBe(404);
      expect((await unknown.json()).error.message).toBeTruthy();

      expect(sink.published).toEqual(
        Array(5).fill({
          types: ['routing-decision', 'usage'],
          alone: true,
          responseEnded: false,
          endedBeforeWritten: false,
          toldComplete: false,
        }),
      );
    } finally {
      await gateway.stop();
    }
  });

  it('tells the sink when other requests are being served, so that their events can share a write', async () => {
    const sink = new OrderCheckingSink();
    const { gateway, url } = await startGateway(simulator.url, {
      overrides: { events: sink },
    });
    // The first request upstream is slow: it is in flight while the second is answered.
    simulator.faults.add({
      mode: 'slow',
      extraLatencyMs: 300,
      retryAfterSeconds: 1,
      remaining: 1,
    });
    try {
      const slow = postChat(url, {
        model: 'gpt-4o-mini',
        stream: true,
        messages: [{ role: 'user', content: 'slow' }],
      });
      await new Promise(resolve => setTimeout(resolve, 50));
      const quick = await postChat(url, {
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'quick' }],
      });
      expect(quick.status).toBe(200);
      await quick.text();
      expect(await (await slow).text()).toContain('data: [DONE]');
      // The quick one ended while the stream was in flight; the stream ended alone.
      expect(sink.published.map(entry => entry.alone)).toEqual([false, true]);
    } finally {
      simulator.faults.clear();
      await gateway.stop();
    }
  });
});
