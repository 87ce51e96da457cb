import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SimulatorServer } from '@cellport/simulator';
import type { RoutingDecision } from '@cellport/plugin-platform-common';
import {
  EventReceiver,
  eventually,
  KEYS,
  startSimulator,
  testState,
} from '../__testUtils__/fixtures';
import { OtlpReceiver } from '../__testUtils__/OtlpReceiver';
import { startGatewayProcess, TestProcess } from '../__testUtils__/processes';

// Real processes and servers: generous limits so a loaded CI machine does not fail them.
jest.setTimeout(60_000);

const CALLER_SPAN = '00f067aa0ba902b7';
const SPAN_KIND = { internal: 1, server: 2, client: 3 };
const ERROR = 2;
/** Text that must never reach a trace unless the tenant opts in: non-ASCII on purpose. */
const PROMPT = 'Geheimnis: Überweisung an Zoë, Kontonummer 4711 — 秘密';

async function chat(
  url: string,
  key: string,
  body: Record<string, unknown>,
  traceparent?: string,
): Promise<Response> {
  return fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${key}`,
      'content-type': 'application/json',
      ...(traceparent ? { traceparent } : {}),
    },
    body: JSON.stringify(body),
  });
}

/** Reads the traceparent headers the simulator receives, in order. */
function upstreamTraceparents(simulator: SimulatorServer): {
  seen: string[];
  stop(): void;
} {
  const server = (simulator as unknown as { server: Server }).server;
  const seen: string[] = [];
  const listener = (req: IncomingMessage) =>
    seen.push(String(req.headers.traceparent));
  server.prependListener('request', listener);
  return { seen, stop: () => server.removeListener('request', listener) };
}

/**
 * The gateway runs as its own process, configured by OpenTelemetry's environment variables
 * as in production, exporting to a collector on loopback (Jest's module sandbox cannot run the
 * exporter's lazy `import('http')`). Northwind keeps the default policy; Brightpath's opts in
 * to content capture.
 */
describe('OpenTelemetry traces of requests, exported over OTLP/HTTP', () => {
  let simulator: SimulatorServer;
  let receiver: OtlpReceiver;
  let portal: EventReceiver;
  let gateway: TestProcess & { url: string };
  let url: string;
  let traceCount = 0;
  /** A fresh trace id per test, so each reads only its own spans. */
  const newTraceId = () =>
    (++traceCount).toString(16).padStart(2, '0').repeat(16);

  beforeAll(async () => {
    simulator = await startSimulator();
    receiver = new OtlpReceiver();
    const tracesUrl = await receiver.start();
    portal = new EventReceiver();
    const portalUrl = await portal.start();
    const work = mkdtempSync(join(tmpdir(), 'cellport-tracing-'));
    const state = testState(simulator.url);
    state.tenants.find(t => t.id === 'brightpath')!.telemetry = {
      captureContent: true,
    };
    writeFileSync(join(work, 'state.json'), JSON.stringify(state));
    gateway = await startGatewayProcess({
      GATEWAY_STATE_FILE: join(work, 'state.json'),
      GATEWAY_EVENTS: 'http',
      GATEWAY_EVENTS_URL: portalUrl,
      GATEWAY_EVENTS_TOKEN: 'portal-token',
      GATEWAY_EVENTS_FLUSH_MS: '20',
      GATEWAY_SPOOL_DIR: join(work, 'spool'),
      GATEWAY_REDIS_URL: '',
      GATEWAY_NATS_URL: '',
      OTEL_EXPORTER_OTLP_ENDPOINT: tracesUrl.replace(/\/v1\/traces$/, ''),
      OTEL_SERVICE_NAME: 'gateway-under-test',
      OTEL_TRACES_SAMPLER_ARG: '1',
    });
    url = gateway.url;
  });
  afterAll(async () => {
    await gateway?.kill('SIGTERM');
    await portal?.stop();
    await receiver?.stop();
    await simulator?.stop();
  });
  afterEach(() => simulator.faults.clear());

  /** The spans of a trace once `count` have arrived (spans are exported in batches). */
  async function spansOf(traceId: string, count: number) {
    await eventually(() => receiver.trace(traceId).length >= count, 400);
    return receiver.trace(traceId);
  }

  /** The routing decision of a request, as the portal received it. */
  async function decisionOf(response: Response): Promise<RoutingDecision> {
    const id = `${response.headers.get('x-request-id')}-rd`;
    await eventually(() => portal.received.has(id), 400);
    return portal.received.get(id) as RoutingDecision;
  }

  it('records a request with one fallback: the caller trace, a routing span, a failed attempt and the one that answered', async () => {
    const traceId = newTraceId();
    const upstream = upstreamTraceparents(simulator);
    try {
      // The agent prefers eu-large, then falls back to eu-small: eu-large answers 500.
      simulator.faults.add({
        mode: 'error',
        model: 'eu-large-model',
        extraLatencyMs: 0,
        retryAfterSeconds: 1,
      });
      const sentMs = Date.now();
      const response = await chat(
        url,
        KEYS.northwindAgent,
        { model: 'auto', messages: [{ role: 'user', content: PROMPT }] },
        `00-${traceId}-${CALLER_SPAN}-01`,
      );
      expect(response.status).toBe(200);
      const completion: string = (await response.clone().json()).choices[0]
        .message.content;
      expect(completion.length).toBeGreaterThan(0);

      const spans = await spansOf(traceId, 4);
      expect(spans).toHaveLength(4);
      const root = spans.find(s => s.parentSpanId === CALLER_SPAN)!;
      expect(root).toMatchObject({
        name: 'chat auto',
        kind: SPAN_KIND.server,
        resource: expect.objectContaining({
          'service.name': 'gateway-under-test',
        }),
        attributes: expect.objectContaining({
          'gen_ai.operation.name': 'chat',
          'gen_ai.provider.name': 'simulator',
          'gen_ai.request.model': 'auto',
          'gen_ai.response.model': 'eu-small-model',
          'gen_ai.response.finish_reasons': ['stop'],
          'http.response.status_code': 200,
          'cellport.tenant': 'northwind',
          'cellport.agent': 'nw-assistant',
          'cellport.model_profile': 'eu-small',
          'cellport.fallbacks': 1,
        }),
      });
      expect(root.attributes['gen_ai.usage.input_tokens']).toBeGreaterThan(0);
      expect(root.attributes['gen_ai.usage.output_tokens']).toBeGreaterThan(0);
      expect(root.statusCode).not.toBe(ERROR);
      // Nanoseconds since the epoch, within the request's time on the wall clock (read in
      // whole milliseconds at the request's start); flags: sampled, and whether the parent
      // is the caller's (remote) span or the gateway's own.
      const ns = (ms: number) => BigInt(ms) * 1_000_000n;
      for (const span of spans) {
        expect(span.startTimeUnixNano).toBeGreaterThan(ns(sentMs - 2));
        expect(span.endTimeUnixNano).toBeGreaterThanOrEqual(
          span.startTimeUnixNano,
        );
        expect(span.endTimeUnixNano).toBeLessThan(ns(Date.now() + 2));
        expect(span.flags).toBe(span === root ? 0x301 : 0x101);
      }

      const children = spans.filter(s => s.parentSpanId === root.spanId);
      expect(children.filter(s => s.name === 'route')).toEqual([
        expect.objectContaining({
          kind: SPAN_KIND.internal,
          attributes: expect.objectContaining({
            'cellport.routing.policy': 'quality',
          }),
        }),
      ]);
      const attempts = children.filter(s => s.kind === SPAN_KIND.client);
      expect(attempts.map(s => s.name).sort()).toEqual([
        'chat eu-large-model',
        'chat eu-small-model',
      ]);
      const failed = attempts.find(s => s.name === 'chat eu-large-model')!;
      const answered = attempts.find(s => s.name === 'chat eu-small-model')!;
      expect(failed.statusCode).toBe(ERROR);
      expect(failed.attributes).toMatchObject({
        'error.type': expect.any(String),
        'http.response.status_code': 500,
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'simulator',
        'gen_ai.request.model': 'eu-large-model',
        'server.address': '127.0.0.1',
        'cellport.model_profile': 'eu-large',
      });
      expect(answered.statusCode).not.toBe(ERROR);
      expect(answered.attributes['error.type']).toBeUndefined();
      // The call that answered is the GenAI client operation: its usage and model are there.
      expect(answered.attributes).toMatchObject({
        'gen_ai.response.model': 'eu-small-model',
        'gen_ai.usage.input_tokens':
          root.attributes['gen_ai.usage.input_tokens'],
        'gen_ai.usage.output_tokens':
          root.attributes['gen_ai.usage.output_tokens'],
      });
      expect(failed.attributes['gen_ai.usage.output_tokens']).toBeUndefined();

      // Each upstream call is the child of its attempt's span.
      expect(upstream.seen).toEqual([
        `00-${traceId}-${failed.spanId}-01`,
        `00-${traceId}-${answered.spanId}-01`,
      ]);
      // The portal's decision carries the trace id, for its link to the trace viewer.
      expect((await decisionOf(response)).traceId).toBe(traceId);

      // No prompt or completion text anywhere in what was exported.
      const exported = receiver.bodies.join('\n');
      expect(exported).toContain(response.headers.get('x-request-id'));
      expect(exported).not.toContain('Kontonummer');
      expect(exported).not.toContain(completion);
      for (const span of spans) {
        expect(span.attributes['gen_ai.input.messages']).toBeUndefined();
        expect(span.attributes['gen_ai.output.messages']).toBeUndefined();
      }
    } finally {
      upstream.stop();
    }
  });

  it('records prompt and completion text only for a tenant whose policy opts in', async () => {
    const traceId = newTraceId();
    const response = await chat(
      url,
      KEYS.brightpath,
      { model: 'gpt-4o', messages: [{ role: 'user', content: PROMPT }] },
      `00-${traceId}-${CALLER_SPAN}-01`,
    );
    expect(response.status).toBe(200);
    const [answer] = (await response.json()).choices;
    const [root] = (await spansOf(traceId, 3)).filter(
      s => s.parentSpanId === CALLER_SPAN,
    );
    expect(
      JSON.parse(String(root.attributes['gen_ai.input.messages'])),
    ).toEqual([{ role: 'user', parts: [{ type: 'text', content: PROMPT }] }]);
    expect(
      JSON.parse(String(root.attributes['gen_ai.output.messages'])),
    ).toEqual([
      {
        role: 'assistant',
        parts: [{ type: 'text', content: answer.message.content }],
        finish_reason: answer.finish_reason,
      },
    ]);

    // A streamed tool call is a tool_call part, whole, not text.
    const toolTrace = newTraceId();
    const streamed = await chat(
      url,
      KEYS.brightpath,
      {
        model: 'gpt-4o',
        stream: true,
        messages: [{ role: 'user', content: 'weather in Zürich' }],
        tools: [
          {
            type: 'function',
            function: { name: 'search', parameters: { type: 'object' } },
          },
        ],
        tool_choice: 'required',
      },
      `00-${toolTrace}-${CALLER_SPAN}-01`,
    );
    expect(await streamed.text()).toContain('"tool_calls"');
    const [toolRoot] = (await spansOf(toolTrace, 3)).filter(
      s => s.parentSpanId === CALLER_SPAN,
    );
    expect(
      JSON.parse(String(toolRoot.attributes['gen_ai.output.messages'])),
    ).toEqual([
      {
        role: 'assistant',
        parts: [
          {
            type: 'tool_call',
            id: expect.any(String),
            name: 'search',
            arguments: { query: expect.stringContaining('weather') },
          },
        ],
        finish_reason: 'tool_call',
      },
    ]);

    // The Messages API's prompt is recorded in the same shape, system prompt first.
    const messagesTrace = newTraceId();
    const messages = await fetch(`${url}/v1/messages`, {
      method: 'POST',
      headers: {
        'x-api-key': KEYS.brightpath,
        'content-type': 'application/json',
        traceparent: `00-${messagesTrace}-${CALLER_SPAN}-01`,
      },
      body: JSON.stringify({
        model: 'gpt-4o',
        max_tokens: 16,
        system: 'Be brief.',
        messages: [{ role: 'user', content: PROMPT }],
      }),
    });
    expect(messages.status).toBe(200);
    const [messagesRoot] = (await spansOf(messagesTrace, 3)).filter(
      s => s.parentSpanId === CALLER_SPAN,
    );
    expect(
      JSON.parse(String(messagesRoot.attributes['gen_ai.input.messages'])),
    ).toEqual([
      { role: 'system', parts: [{ type: 'text', content: 'Be brief.' }] },
      { role: 'user', parts: [{ type: 'text', content: PROMPT }] },
    ]);
  });

  it.each([
    ['a model no route serves', 'no-such-model', false],
    ['every upstream failing', 'gpt-4o', true],
  ])(
    "records an opted-in tenant's prompt on a request refused for %s, with no completion",
    async (_case, model, failing) => {
      if (failing) {
        simulator.faults.add({
          mode: 'error',
          extraLatencyMs: 0,
          retryAfterSeconds: 1,
        });
      }
      const traceId = newTraceId();
      const response = await chat(
        url,
        KEYS.brightpath,
        { model, messages: [{ role: 'user', content: PROMPT }] },
        `00-${traceId}-${CALLER_SPAN}-01`,
      );
      expect(response.status).toBeGreaterThanOrEqual(400);
      await eventually(
        () => receiver.trace(traceId).some(s => s.parentSpanId === CALLER_SPAN),
        400,
      );
      const root = receiver
        .trace(traceId)
        .find(s => s.parentSpanId === CALLER_SPAN)!;
      expect(
        JSON.parse(String(root.attributes['gen_ai.input.messages'])),
      ).toEqual([{ role: 'user', parts: [{ type: 'text', content: PROMPT }] }]);
      expect(root.attributes['gen_ai.output.messages']).toBeUndefined();
    },
  );

  it("records no completion for an opted-in tenant's request charged after its caller left", async () => {
    simulator.faults.add({
      mode: 'slow',
      extraLatencyMs: 2_000,
      retryAfterSeconds: 1,
    });
    const upstream = upstreamTraceparents(simulator);
    const traceId = newTraceId();
    const abort = new AbortController();
    try {
      const pending = fetch(`${url}/v1/chat/completions`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${KEYS.brightpath}`,
          'content-type': 'application/json',
          traceparent: `00-${traceId}-${CALLER_SPAN}-01`,
        },
        body: JSON.stringify({
          model: 'gpt-4o',
          messages: [{ role: 'user', content: PROMPT }],
        }),
        signal: abort.signal,
      }).catch(error => error);
      // Left once the upstream has it: the request is charged, its answer never relayed.
      await eventually(() => upstream.seen.length > 0, 400);
      abort.abort();
      expect(await pending).toMatchObject({ name: 'AbortError' });
    } finally {
      upstream.stop();
    }
    await eventually(
      () => receiver.trace(traceId).some(s => s.parentSpanId === CALLER_SPAN),
      400,
    );
    const root = receiver
      .trace(traceId)
      .find(s => s.parentSpanId === CALLER_SPAN)!;
    expect(root.attributes['gen_ai.input.messages']).toBeDefined();
    expect(root.attributes['gen_ai.output.messages']).toBeUndefined();
  });

  it('records a streamed answer with its finish reason and time to first chunk, and starts a trace when the caller sent none', async () => {
    const response = await chat(url, KEYS.northwind, {
      model: 'gpt-4o',
      stream: true,
      messages: [{ role: 'user', content: 'stream, please' }],
    });
    expect(await response.clone().text()).toContain('[DONE]');
    const { traceId } = await decisionOf(response);
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    const spans = await spansOf(traceId!, 3);
    const root = spans.find(s => s.kind === SPAN_KIND.server)!;
    expect(root.parentSpanId).toBeUndefined();
    expect(root.attributes).toMatchObject({
      'gen_ai.response.model': 'eu-large-model',
      'gen_ai.response.finish_reasons': ['stop'],
      'gen_ai.response.time_to_first_chunk': expect.any(Number),
    });
  });

  it('records the status a caller of a stream that broke got, 200, with the error beside it', async () => {
    simulator.faults.add({
      mode: 'cut',
      model: 'eu-large-model',
      extraLatencyMs: 0,
      retryAfterSeconds: 1,
    });
    const response = await chat(url, KEYS.northwind, {
      model: 'gpt-4o',
      stream: true,
      messages: [{ role: 'user', content: 'a stream that breaks' }],
    });
    expect(response.status).toBe(200);
    expect(await response.clone().text()).toContain('"error"');
    const { traceId } = await decisionOf(response);
    const spans = await spansOf(traceId!, 3);
    const root = spans.find(s => s.kind === SPAN_KIND.server)!;
    expect(root.attributes).toMatchObject({
      'http.response.status_code': 200,
      'error.type': 'upstream-error',
    });
  });

  /** The id and stop reason a caller read from an answer of each API, JSON or streamed. */
  async function callerFacts(
    path: string,
    response: Response,
  ): Promise<{ id: string; end: string }> {
    const text = await response.text();
    if (!text.startsWith('event:')) {
      const answer = JSON.parse(text);
      return path === '/v1/responses'
        ? {
            id: answer.id,
            end: answer.incomplete_details?.reason ?? answer.status,
          }
        : { id: answer.id, end: answer.stop_reason };
    }
    const events = text
      .trim()
      .split('\n\n')
      .map(event => JSON.parse(event.split('\ndata: ')[1]));
    if (path === '/v1/responses') {
      const last = events[events.length - 1].response;
      return {
        id: last.id,
        end: last.incomplete_details?.reason ?? last.status,
      };
    }
    return {
      id: events.find(e => e.type === 'message_start').message.id,
      end: events.find(e => e.type === 'message_delta').delta.stop_reason,
    };
  }

  it('records the same spans for the Responses API and Anthropic Messages, JSON or streamed, with the id and stop reason the caller got', async () => {
    for (const stream of [false, true]) {
      for (const [path, body, key] of [
        [
          '/v1/responses',
          { model: 'gpt-4o', input: PROMPT, max_output_tokens: 16, stream },
          { authorization: `Bearer ${KEYS.northwind}` },
        ],
        [
          '/v1/messages',
          {
            model: 'gpt-4o',
            max_tokens: 16,
            messages: [{ role: 'user', content: PROMPT }],
            stream,
          },
          { 'x-api-key': KEYS.northwind, 'anthropic-version': '2023-06-01' },
        ],
      ] as const) {
        const traceId = newTraceId();
        const response = await fetch(`${url}${path}`, {
          method: 'POST',
          headers: {
            ...key,
            'content-type': 'application/json',
            traceparent: `00-${traceId}-${CALLER_SPAN}-01`,
          },
          body: JSON.stringify(body),
        });
        expect(response.status).toBe(200);
        const caller = await callerFacts(path, response.clone());
        expect(caller.id).toMatch(/^(resp|msg)_/);
        const spans = await spansOf(traceId, 3);
        const root = spans.find(s => s.parentSpanId === CALLER_SPAN)!;
        expect(root.attributes).toMatchObject({
          'gen_ai.operation.name': 'chat',
          'gen_ai.request.model': 'gpt-4o',
          'gen_ai.provider.name': 'simulator',
          'gen_ai.response.model': 'eu-large-model',
          'gen_ai.response.id': caller.id,
          'gen_ai.response.finish_reasons': [caller.end],
          'cellport.model_profile': 'eu-large',
        });
        expect(root.attributes['gen_ai.usage.output_tokens']).toBeGreaterThan(
          0,
        );
        expect(spans.map(s => s.name).sort()).toEqual([
          'chat eu-large-model',
          'chat gpt-4o',
          'route',
        ]);
        expect((await decisionOf(response)).traceId).toBe(traceId);
        for (const span of spans) {
          expect(JSON.stringify(span.attributes)).not.toContain('Kontonummer');
        }
      }
    }
  });

  it("records a request refused before authentication as a span in the caller's trace", async () => {
    const traceId = newTraceId();
    const response = await chat(
      url,
      'cp-not-a-key',
      { model: 'gpt-4o', messages: [{ role: 'user', content: PROMPT }] },
      `00-${traceId}-${CALLER_SPAN}-01`,
    );
    expect(response.status).toBe(401);
    const [span] = await spansOf(traceId, 1);
    expect(span).toMatchObject({
      parentSpanId: CALLER_SPAN,
      kind: SPAN_KIND.server,
      statusCode: ERROR,
      attributes: {
        'gen_ai.operation.name': 'chat',
        'error.type': 'unauthorized',
        'http.response.status_code': 401,
      },
    });
  });

  it('follows a caller that does not sample: no spans, and upstreams are told so', async () => {
    const traceId = newTraceId();
    const upstream = upstreamTraceparents(simulator);
    try {
      const response = await chat(
        url,
        KEYS.northwind,
        { model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] },
        `00-${traceId}-${CALLER_SPAN}-00`,
      );
      expect(response.status).toBe(200);
      expect((await decisionOf(response)).traceId).toBeUndefined();
      expect(upstream.seen).toEqual([
        expect.stringMatching(new RegExp(`^00-${traceId}-[0-9a-f]{16}-00$`)),
      ]);
      // A sampled request sent after it is exported, and the unsampled one never was.
      const later = newTraceId();
      await chat(
        url,
        KEYS.northwind,
        { model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] },
        `00-${later}-${CALLER_SPAN}-01`,
      );
      await spansOf(later, 3);
      expect(receiver.trace(traceId)).toEqual([]);
    } finally {
      upstream.stop();
    }
  });

  it('retries a collector that answers 503, and drops with a warning, every span counted, a batch it refuses and spans it rejects; the requests are served either way', async () => {
    const send = (traceId: string) =>
      chat(
        url,
        KEYS.northwind,
        { model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] },
        `00-${traceId}-${CALLER_SPAN}-01`,
      );
    receiver.answerNext(503);
    const retried = newTraceId();
    expect((await send(retried)).status).toBe(200);
    expect(await spansOf(retried, 3)).toHaveLength(3);
    expect(receiver.refused).toBe(1);

    receiver.answerNext(400);
    const refused = newTraceId();
    expect((await send(refused)).status).toBe(200);
    await eventually(() => receiver.refused === 2, 400);
    await eventually(
      () => gateway.output().includes('spans could not be exported'),
      200,
    );
    expect(gateway.output()).toMatch(/"droppedSpans":3\b/);
    // Nothing of the refused batch comes again.
    const after = newTraceId();
    await send(after);
    await spansOf(after, 3);
    expect(receiver.trace(refused)).toEqual([]);

    // A collector that takes a batch but rejects some of its spans: they are counted as
    // dropped too, in the line a shutdown writes of what the last ten seconds dropped.
    receiver.rejectNext(2, 'span attributes too large');
    const partly = newTraceId();
    await send(partly);
    await spansOf(partly, 3);
    await gateway.kill('SIGTERM');
    expect(gateway.output()).toMatch(
      /"droppedSpans":2,"reasons":\["collector rejected spans: span attributes too large"\]/,
    );
  });
});

describe('stopping with a collector that hangs', () => {
  it('does not wait for it past a short limit, and counts the spans it never took as dropped', async () => {
    const simulator = await startSimulator();
    // Takes connections and reads requests, never answers.
    const collector = createServer(req => req.resume());
    await new Promise<void>(resolve =>
      collector.listen(0, '127.0.0.1', () => resolve()),
    );
    const work = mkdtempSync(join(tmpdir(), 'cellport-tracing-hang-'));
    writeFileSync(
      join(work, 'state.json'),
      JSON.stringify(testState(simulator.url)),
    );
    const gateway = await startGatewayProcess({
      GATEWAY_STATE_FILE: join(work, 'state.json'),
      GATEWAY_EVENTS: 'off',
      GATEWAY_SPOOL_DIR: join(work, 'spool'),
      GATEWAY_REDIS_URL: '',
      GATEWAY_NATS_URL: '',
      GATEWAY_DRAIN_TIMEOUT_MS: '1000',
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${
        (collector.address() as AddressInfo).port
      }`,
      // The transport would wait this long for an answer.
      OTEL_EXPORTER_OTLP_TIMEOUT: '60000',
    });
    try {
      const response = await chat(gateway.url, KEYS.northwind, {
        model: 'gpt-4o',
        messages: [{ role: 'user', content: 'hi' }],
      });
      expect(response.status).toBe(200);
      await gateway.kill('SIGTERM');
      expect(gateway.output()).toContain('gateway stopped');
      expect(gateway.output()).toMatch(
        /"droppedSpans":3,"reasons":\["the collector had not answered when the gateway stopped"\]/,
      );
    } finally {
      await gateway.kill();
      collector.closeAllConnections();
      await new Promise(resolve => collector.close(resolve));
      await simulator.stop();
    }
  });
});
