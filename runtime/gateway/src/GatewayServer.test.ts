import { request } from 'node:http';
import OpenAI from 'openai';
import type { SimulatorServer } from '@cellport/simulator';
import type {
  UsageEvent,
  RoutingDecision,
} from '@cellport/plugin-platform-common';
import {
  ADMIN_TOKEN,
  eventually,
  KEYS,
  RecordingEventSink,
  startGateway,
  startSimulator,
  testState,
} from './__testUtils__/fixtures';
import type { Gateway } from './createGateway';

// Real servers, Redis and NATS: generous limits so a loaded CI machine does not fail them.
jest.setTimeout(30_000);

describe('gateway API (OpenAI client against the simulator)', () => {
  let simulator: SimulatorServer;
  let gateway: Gateway;
  let url: string;
  let events: RecordingEventSink;
  const client = (key: string) =>
    new OpenAI({ apiKey: key, baseURL: `${url}/v1`, maxRetries: 0 });

  beforeAll(async () => {
    simulator = await startSimulator();
    ({ gateway, url, events } = await startGateway(simulator.url, {
      config: { upstreamTimeoutMs: 1000 },
    }));
  });
  afterAll(async () => {
    await gateway.stop();
    await simulator.stop();
  });
  afterEach(() => {
    simulator.faults.clear();
    simulator.stats.reset();
    events.events.length = 0;
  });

  const usageOf = (requestId?: string) =>
    events
      .usage()
      .find(event => !requestId || event.requestId === requestId) as UsageEvent;
  const decisionOf = () => events.decisions()[0] as RoutingDecision;

  it('answers a chat completion with upstream usage and its cost', async () => {
    const completion = await client(KEYS.northwind).chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'hello gateway' }],
      max_tokens: 20,
    });
    expect(completion.choices[0].message.content).toBeTruthy();
    const usage = usageOf();
    expect(usage).toMatchObject({
      tenant: 'northwind',
      modelProfile: 'eu-large',
      inputTokens: completion.usage!.prompt_tokens,
      outputTokens: completion.usage!.completion_tokens,
      tokensEstimated: false,
      outcome: 'success',
      status: 200,
      stateVersion: 'v1',
    });
    expect(usage.costUsd).toBeCloseTo(
      (completion.usage!.prompt_tokens * 2.5 +
        completion.usage!.completion_tokens * 10) /
        1e6,
      12,
    );
    // Residency: the US profile of the same alias was a candidate and was dropped.
    expect(decisionOf().candidates).toContainEqual(
      expect.objectContaining({
        modelProfile: 'us-large',
        kept: false,
        dropReason: 'residency',
      }),
    );
    expect(decisionOf().chosen).toBe('eu-large');
  });

  it('streams with usage when asked, and settles the streamed usage and cost', async () => {
    const stream = await client(KEYS.northwind).chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'stream please' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let reported: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta?.content ?? '';
      reported = chunk.usage ?? reported;
    }
    expect(text.length).toBeGreaterThan(0);
    expect(reported!.completion_tokens).toBe(text.split(' ').length);
    await eventually(() => events.usage().length === 1);
    expect(usageOf()).toMatchObject({
      stream: true,
      outputTokens: reported!.completion_tokens,
      tokensEstimated: false,
    });
    expect(usageOf().costUsd).toBeGreaterThan(0);
    expect(usageOf().timeToFirstTokenMs).toBeGreaterThanOrEqual(0);
  });

  it('asks the upstream for usage when streaming but hides it from callers that did not ask', async () => {
    const stream = await client(KEYS.northwind).chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'stream without usage' }],
      stream: true,
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.some(chunk => chunk.usage)).toBe(false);
    await eventually(() => events.usage().length === 1);
    expect(usageOf().outputTokens).toBeGreaterThan(0);
    expect(usageOf().tokensEstimated).toBe(false);
  });

  it('answers embeddings', async () => {
    const result = await client(KEYS.northwind).embeddings.create({
      model: 'text-embedding-3-small',
      input: ['a', 'b'],
    });
    expect(result.data).toHaveLength(2);
    expect(usageOf()).toMatchObject({
      modelProfile: 'eu-embed',
      outputTokens: 0,
    });
  });

  it("lists only the models the caller's tenant may use", async () => {
    const models = [];
    for await (const model of client(KEYS.northwind).models.list())
      models.push(model.id);
    expect(models).toEqual(
      expect.arrayContaining(['auto', 'gpt-4o', 'eu-large', 'eu-small']),
    );
    // us-large is allowed but outside residency; claude is not allowed at all.
    expect(models).not.toContain('us-large');
    expect(models).not.toContain('claude');
  });

  it('gives 401 for an unknown key, without a stack trace', async () => {
    const error = await client('cp-nope')
      .chat.completions.create({
        model: 'gpt-4o',
        messages: [{ role: 'user', content: 'x' }],
      })
      .catch(e => e);
    expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(error.status).toBe(401);
    expect(JSON.stringify(error.error)).not.toMatch(/at .*\.ts/);
  });

  it('takes the Bearer scheme in any case, as HTTP defines it', async () => {
    for (const scheme of ['bearer', 'BEARER']) {
      const answer = await fetch(`${url}/v1/models`, {
        headers: { authorization: `${scheme} ${KEYS.northwind}` },
      });
      // Before, the key was not read at all: 401 "missing API key".
      expect(answer.status).toBe(200);
    }
  });

  // Before: 404 "no route POST http://...": the target was compared as written.
  it('takes a request target in absolute form, as HTTP/1.1 servers must, resolving nothing in it', async () => {
    /** A POST whose request target is `target`, sent as written. */
    const post = (target: string) =>
      new Promise<{ status: number; text: string }>((resolve, reject) => {
        const call = request(
          url,
          {
            method: 'POST',
            path: target,
            headers: {
              authorization: `Bearer ${KEYS.northwind}`,
              'content-type': 'application/json',
            },
          },
          res => {
            let text = '';
            res.on('data', chunk => (text += chunk));
            res.on('end', () => resolve({ status: res.statusCode!, text }));
          },
        );
        call.on('error', reject);
        call.end(
          JSON.stringify({
            model: 'gpt-4o-mini',
            messages: [{ role: 'user', content: 'hi' }],
          }),
        );
      });
    const answer = await post(`${url}/v1/chat/completions?trace=1`);
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.text).object).toBe('chat.completion');
    // Not resolved to /v1/chat/completions, as a path with dot segments is not either.
    for (const target of [
      `${url}/v1/x/%2e%2e/chat/completions`,
      '/v1/x/../chat/completions',
    ]) {
      expect((await post(target)).status).toBe(404);
    }
  });

  it('gives 400 naming the field for malformed requests', async () => {
    const error = await client(KEYS.northwind)
      .chat.completions.create({ model: 'gpt-4o', messages: [] })
      .catch(e => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(error.error).toMatchObject({
      param: 'messages',
      type: 'invalid_request_error',
    });
    const raw = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${KEYS.northwind}`,
        'content-type': 'application/json',
      },
      body: '{"model": "gpt-4o", "messages": [',
    });
    expect(raw.status).toBe(400);
    expect((await raw.json()).error.message).toMatch(/not valid JSON/);
    expect(usageOf()).toMatchObject({
      outcome: 'rejected',
      errorClass: 'invalid-request',
    });
  });

  it("gives 404 for a model outside the allowlist, as for one that does not exist (another tenant's private model is not revealed), and 403 for data above the tenant ceiling", async () => {
    const notAllowed = await client(KEYS.northwind)
      .chat.completions.create({
        model: 'claude-haiku',
        messages: [{ role: 'user', content: 'x' }],
      })
      .catch(e => e);
    const unknown = await client(KEYS.northwind)
      .chat.completions.create({
        model: 'no-such-model',
        messages: [{ role: 'user', content: 'x' }],
      })
      .catch(e => e);
    expect(notAllowed).toBeInstanceOf(OpenAI.NotFoundError);
    expect(notAllowed.error.code).toBe('model_not_found');
    expect(notAllowed.message.replace('claude-haiku', 'no-such-model')).toBe(
      unknown.message,
    );
    const tooSensitive = await client(KEYS.northwind)
      .chat.completions.create(
        { model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] },
        { headers: { 'x-cellport-data-classification': 'RESTRICTED' } },
      )
      .catch(e => e);
    expect(tooSensitive.status).toBe(403);
    expect(tooSensitive.error.code).toBe('classification_not_allowed');
  });

  it('drops profiles whose ceiling is below the data class, and refuses when none is left', async () => {
    // brightpath is PUBLIC; asking for INTERNAL exceeds its ceiling.
    const error = await client(KEYS.brightpath)
      .chat.completions.create(
        { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x' }] },
        { headers: { 'x-cellport-data-classification': 'INTERNAL' } },
      )
      .catch(e => e);
    expect(error.status).toBe(403);
  });

  it('gives 404 for an unknown model', async () => {
    const error = await client(KEYS.northwind)
      .chat.completions.create({
        model: 'no-such-model',
        messages: [{ role: 'user', content: 'x' }],
      })
      .catch(e => e);
    expect(error).toBeInstanceOf(OpenAI.NotFoundError);
    expect(error.error.code).toBe('model_not_found');
  });

  it('gives 413 for a body over the limit', async () => {
    const error = await client(KEYS.northwind)
      .chat.completions.create({
        model: 'gpt-4o',
        messages: [{ role: 'user', content: 'x'.repeat(70 * 1024) }],
      })
      .catch(e => e);
    expect(error.status).toBe(413);
  });

  it('gives 400 when the request needs a capability no candidate has', async () => {
    const error = await client(KEYS.brightpath)
      .chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'x' }],
        tools: [
          {
            type: 'function',
            function: { name: 'lookup', parameters: { type: 'object' } },
          },
        ],
      })
      .catch(e => e);
    expect(error.status).toBe(400);
    expect(decisionOf().candidates).toContainEqual(
      expect.objectContaining({
        modelProfile: 'us-small',
        dropReason: 'missing-capability',
      }),
    );
  });

  it('gives 502 when every upstream fails with a server error', async () => {
    simulator.faults.add({
      mode: 'error',
      extraLatencyMs: 0,
      retryAfterSeconds: 1,
    });
    const error = await client(KEYS.northwind)
      .chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'x' }],
      })
      .catch(e => e);
    expect(error.status).toBe(502);
    expect(usageOf()).toMatchObject({
      outcome: 'error',
      errorClass: 'upstream-error',
    });
  });

  it('gives 503 with Retry-After when upstreams rate-limit or are down', async () => {
    simulator.faults.add({
      mode: 'outage',
      extraLatencyMs: 0,
      retryAfterSeconds: 1,
    });
    const error = await client(KEYS.brightpath)
      .chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'x' }],
      })
      .catch(e => e);
    expect(error.status).toBe(503);
    expect(error.headers.get('retry-after')).toBeTruthy();
  });

  it('gives 504 when the upstream does not answer in time', async () => {
    simulator.faults.add({
      mode: 'slow',
      extraLatencyMs: 5000,
      retryAfterSeconds: 1,
    });
    const error = await client(KEYS.brightpath)
      .chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'x' }],
      })
      .catch(e => e);
    expect(error.status).toBe(504);
  });

  it('cancels the upstream when the caller disconnects mid-stream', async () => {
    simulator.catalog.update('eu-large-model', { tokensPerSecond: 10 });
    try {
      const controller = new AbortController();
      const stream = await client(KEYS.northwind).chat.completions.create(
        {
          model: 'gpt-4o',
          messages: [{ role: 'user', content: 'long story' }],
          stream: true,
        },
        { signal: controller.signal },
      );
      for await (const chunk of stream) {
        if (chunk.choices[0]?.delta?.content) {
          controller.abort();
        }
      }
    } catch {
      // The client's own abort error.
    } finally {
      simulator.catalog.update('eu-large-model', { tokensPerSecond: 0 });
    }
    await eventually(() => simulator.stats.snapshot().cancelled === 1);
    await eventually(() => events.usage().length === 1);
    expect(usageOf()).toMatchObject({
      outcome: 'cancelled',
      errorClass: 'client-cancelled',
    });
  });

  it('cancels the upstream when the caller disconnects before a JSON answer', async () => {
    // A gateway that would wait a minute for the upstream: only the caller's disconnect can
    // end the upstream call within the test's wait.
    const patient = await startGateway(simulator.url, {
      config: { upstreamTimeoutMs: 60_000 },
    });
    simulator.catalog.update('eu-large-model', { tokensPerSecond: 1 });
    try {
      const controller = new AbortController();
      const answer = new OpenAI({
        apiKey: KEYS.northwind,
        baseURL: `${patient.url}/v1`,
        maxRetries: 0,
      }).chat.completions
        .create(
          {
            model: 'gpt-4o',
            messages: [{ role: 'user', content: 'long story' }],
          },
          { signal: controller.signal },
        )
        .catch(error => error);
      await eventually(() => simulator.stats.snapshot().requests === 1);
      controller.abort();
      expect(await answer).toBeInstanceOf(Error);
      await eventually(() => simulator.stats.snapshot().cancelled === 1);
      await eventually(() => patient.events.usage().length === 1);
      expect(patient.events.usage()[0]).toMatchObject({
        outcome: 'cancelled',
        errorClass: 'client-cancelled',
      });
    } finally {
      simulator.catalog.update('eu-large-model', { tokensPerSecond: 0 });
      await patient.gateway.stop();
    }
  });

  it('propagates the W3C trace id upstream with a new span, and the tracestate with it', async () => {
    const seen: string[] = [];
    const states: Array<string | undefined> = [];
    const original = simulator.stats.requestStarted.bind(simulator.stats);
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    // The simulator does not echo headers, so read them off a raw request hook.
    const server = (
      simulator as unknown as { server: import('node:http').Server }
    ).server;
    const listener = (req: import('node:http').IncomingMessage) => {
      seen.push(String(req.headers.traceparent));
      states.push(req.headers.tracestate as string | undefined);
    };
    server.prependListener('request', listener);
    const call = (traceparent: string, tracestate = 'vendor=abc,other=1') =>
      client(KEYS.northwind).chat.completions.create(
        { model: 'gpt-4o', messages: [{ role: 'user', content: 'trace me' }] },
        { headers: { traceparent, tracestate } },
      );
    // Longer than the 512 characters passed on: the entry over 128 goes first, then the last.
    const entries = Array.from({ length: 60 }, (_, i) => `k${i}=vvvvvvvv`);
    const long = [`big=${'x'.repeat(200)}`, ...entries].join(',');
    try {
      await call(`00-${traceId}-00f067aa0ba902b7-01`);
      // A later version is read as version 00 (W3C); a tracestate without a valid parent
      // is dropped.
      await call(`01-${traceId}-00f067aa0ba902b7-01-future-field`);
      await call(`00-${traceId}-00f067aa0ba902b7-01-not-in-version-00`);
      await call(`00-${traceId}-00f067aa0ba902b7-01`, long);
      // Short, but more entries than W3C's 32.
      await call(
        `00-${traceId}-00f067aa0ba902b7-01`,
        entries
          .slice(0, 40)
          .map(e => e.slice(0, 4))
          .join(','),
      );
    } finally {
      server.removeListener('request', listener);
      simulator.stats.requestStarted = original;
    }
    expect(seen[0]).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
    expect(seen[0]).not.toContain('00f067aa0ba902b7');
    expect(seen[1]).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
    expect(seen[2]).not.toContain(traceId);
    expect(states.slice(0, 3)).toEqual([
      'vendor=abc,other=1',
      'vendor=abc,other=1',
      undefined,
    ]);
    // The long entry goes first, then entries from the end: 32 are left, under 512 characters.
    expect(states[3]).toBe(entries.slice(0, 32).join(','));
    expect(states[4]).toBe(
      entries
        .slice(0, 32)
        .map(e => e.slice(0, 4))
        .join(','),
    );
  });

  describe('control API', () => {
    const put = (body: unknown, token = ADMIN_TOKEN) =>
      fetch(`${url}/control/state`, {
        method: 'PUT',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify(body),
      });

    it('needs the admin token', async () => {
      expect((await put(testState(simulator.url), 'wrong')).status).toBe(401);
      const asTenant = await fetch(`${url}/control/state`, {
        headers: { authorization: `Bearer ${KEYS.northwind}` },
      });
      expect(asTenant.status).toBe(401);
    });

    it('refuses a push of the version in force with other content, and keeps the state', async () => {
      const same = testState(simulator.url, 'v1');
      same.tenants[0].allowedModels.pop();
      const response = await put(same);
      expect(response.status).toBe(409);
      expect((await response.json()).error).toMatchObject({
        code: 'state_version_conflict',
        param: 'version',
      });
      expect(
        gateway.deps.state.current!.tenants.get('northwind')!.allowedModels,
      ).toEqual(testState(simulator.url).tenants[0].allowedModels);
      // The same content again is no change, and no conflict.
      expect(await (await put(testState(simulator.url, 'v1'))).json()).toEqual({
        version: 'v1',
        changed: false,
      });
    });

    it('refuses a version it ran before with other content, as the cache answers by version', async () => {
      expect((await put(testState(simulator.url, 'v-next'))).status).toBe(200);
      const rewritten = testState(simulator.url, 'v1');
      rewritten.tenants[0].allowedModels.pop();
      const response = await put(rewritten);
      expect(response.status).toBe(409);
      expect((await response.json()).error.message).toContain(
        'was in force before with other content',
      );
      expect(gateway.deps.state.current!.version).toBe('v-next');
      // Back to v1 as it was: a rollback, allowed.
      expect(await (await put(testState(simulator.url, 'v1'))).json()).toEqual({
        version: 'v1',
        changed: true,
      });
    });

    it('rejects an invalid push whole, naming the fields, and keeps the old state', async () => {
      const state = testState(simulator.url, 'v-bad');
      state.apiKeys[0].tenant = 'nobody';
      (state.modelProfiles[0] as { endpoint: string }).endpoint = 'not a url';
      const response = await put(state);
      expect(response.status).toBe(400);
      const body = await response.json();
      expect(body.error.issues.join('\n')).toMatch(
        /modelProfiles\.0\.endpoint/,
      );
      expect(gateway.deps.state.current!.version).toBe('v1');
    });

    it('applies a valid push atomically, and decisions record the version used', async () => {
      const state = testState(simulator.url, 'v2');
      state.tenants[0].allowedModels = ['eu-small'];
      const response = await put(state);
      expect(await response.json()).toEqual({ version: 'v2', changed: true });
      const got = await fetch(`${url}/control/state`, {
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      }).then(r => r.json());
      expect(got).toEqual(state);
      // The reconciler's drift check reads the version alone.
      const version = await fetch(`${url}/control/state/version`, {
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      });
      expect(await version.json()).toEqual({ version: 'v2' });
      const asTenant = await fetch(`${url}/control/state/version`, {
        headers: { authorization: `Bearer ${KEYS.northwind}` },
      });
      expect(asTenant.status).toBe(401);
      const pushToVersion = await fetch(`${url}/control/state/version`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
        body: JSON.stringify(state),
      });
      expect(pushToVersion.status).toBe(405);
      await client(KEYS.northwind).chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'x' }],
      });
      expect(decisionOf().stateVersion).toBe('v2');
      await put(testState(simulator.url, 'v1'));
    });
  });

  it('keeps a rotated-out key valid until it expires', async () => {
    await expect(
      client(KEYS.brightpathOld).chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'x' }],
      }),
    ).resolves.toBeDefined();
  });

  it('serves /health, /ready and Prometheus /metrics', async () => {
    expect((await fetch(`${url}/health`)).status).toBe(200);
    const ready = await fetch(`${url}/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({
      stateLoaded: true,
      stateVersion: 'v1',
    });
    await client(KEYS.northwind).chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'count me' }],
    });
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(
      /cellport_gateway_requests_total\{tenant="northwind",model="eu-large",outcome="success",status="200"\} \d+/,
    );
    expect(metrics).toContain('cellport_gateway_overhead_seconds_bucket');
    expect(metrics).toContain('cellport_gateway_tokens_total');
    expect(metrics).toContain('cellport_gateway_cost_usd_total');
    expect(metrics).toContain(
      'cellport_gateway_circuit_state{model="eu-large",state="closed"} 1',
    );
    expect(metrics).toContain(
      'cellport_gateway_circuit_state{model="eu-large",state="open"} 0',
    );
    expect(metrics).toContain(
      'cellport_gateway_budget_remaining_usd{tenant="northwind"}',
    );
    expect(metrics).not.toContain(KEYS.northwind);
    // Refusals before authentication have no tenant, and still count.
    expect(metrics).toMatch(
      /cellport_gateway_requests_total\{tenant="unknown",model="none",outcome="rejected",status="401"\} \d+/,
    );
  });
});
