import OpenAI from 'openai';
import type { SimulatorServer } from '@cellport/simulator';
import type { UsageEvent } from '@cellport/plugin-platform-common';
import {
  eventually,
  KEYS,
  postChat,
  RecordingEventSink,
  startGateway,
  startSimulator,
  testState,
} from '../__testUtils__/fixtures';
import type { Gateway } from '../createGateway';

// Real servers, Redis and NATS: generous limits so a loaded CI machine does not fail them.
jest.setTimeout(30_000);

/** The id an API derives from the request id the gateway answered with. */
const idOf = (prefix: string, response: Response) =>
  `${prefix}${response.headers.get('x-request-id')!.replaceAll('-', '')}`;

describe('token counting and the prompt cache', () => {
  let simulator: SimulatorServer;
  let gateway: Gateway;
  let events: RecordingEventSink;
  let url: string;
  const client = (key: string) =>
    new OpenAI({ apiKey: key, baseURL: `${url}/v1`, maxRetries: 0 });

  beforeAll(async () => {
    simulator = await startSimulator();
    ({ gateway, url, events } = await startGateway(simulator.url, {
      config: {
        cache: { enabled: true, ttlSeconds: 60, maxBytes: 1024 * 1024 },
        // The production default: a prompt longer than the tokenizer reads at once fits.
        maxBodyBytes: 1024 * 1024,
      },
    }));
  });
  afterAll(async () => {
    await gateway.stop();
    await simulator.stop();
  });
  afterEach(() => {
    events.events.length = 0;
    simulator.stats.reset();
  });

  it('counts tokens with the tokenizer and marks them estimated when the upstream reports none', async () => {
    simulator.catalog.update('us-small-model', { omitUsage: true });
    try {
      const completion = await client(KEYS.brightpath).chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'count my tokens please' }],
        max_tokens: 10,
      });
      expect(completion.usage).toBeUndefined();
      const stream = await client(KEYS.brightpath).chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'count my streamed tokens' }],
        max_tokens: 10,
        stream: true,
      });
      for await (const chunk of stream)
        expect(chunk.usage ?? undefined).toBeUndefined();
      await eventually(() => events.usage().length === 2);
      for (const usage of events.usage() as UsageEvent[]) {
        expect(usage.tokensEstimated).toBe(true);
        expect(usage.inputTokens).toBeGreaterThan(4);
        expect(usage.outputTokens).toBeGreaterThanOrEqual(5);
        expect(usage.outputTokens).toBeLessThanOrEqual(20);
        expect(usage.costUsd).toBeGreaterThan(0);
      }
    } finally {
      simulator.catalog.update('us-small-model', { omitUsage: false });
    }
  });

  it('charges a prompt it counts itself no more than the token a byte its reservation held', async () => {
    simulator.catalog.update('us-small-model', { omitUsage: true });
    try {
      // Characters outside the tokenizer's vocabulary first (3 tokens each, a token a byte),
      // then plain letters (many to a token): the part read must not set the rate of the rest.
      const body = {
        model: 'gpt-4o-mini',
        messages: [
          {
            role: 'user',
            content: `${'\u3400'.repeat(131_072)}${'a'.repeat(300_000)}`,
          },
        ],
        max_tokens: 1,
      };
      const response = await postChat(url, body, { key: KEYS.brightpath });
      expect(response.status).toBe(200);
      await eventually(() => events.usage().length === 1);
      const [usage] = events.usage() as UsageEvent[];
      expect(usage.tokensEstimated).toBe(true);
      expect(usage.inputTokens).toBeGreaterThan(131_072);
      expect(usage.inputTokens).toBeLessThanOrEqual(
        Buffer.byteLength(JSON.stringify(body)),
      );
    } finally {
      simulator.catalog.update('us-small-model', { omitUsage: false });
    }
  });

  /** `cellport_gateway_tokens_total` of brightpath at us-small, by direction. */
  const brightpathTokens = async () => {
    const text = await fetch(`${url}/metrics`).then(response =>
      response.text(),
    );
    const count = (direction: string) =>
      Number(
        new RegExp(
          `cellport_gateway_tokens_total\\{tenant="brightpath",model="us-small",direction="${direction}"\\} (\\d+)`,
        ).exec(text)?.[1] ?? 0,
      );
    return { input: count('input'), output: count('output') };
  };

  it('serves an exact repeat from the cache where tenant policy allows it', async () => {
    const tokensBefore = await brightpathTokens();
    const request = {
      model: 'gpt-4o-mini',
      messages: [{ role: 'user' as const, content: 'cache me' }],
    };
    const first = await client(KEYS.brightpath).chat.completions.create(
      request,
    );
    const second = await client(KEYS.brightpath).chat.completions.create(
      request,
    );
    expect(second.choices[0].message.content).toBe(
      first.choices[0].message.content,
    );
    expect(simulator.stats.snapshot().requests).toBe(1);
    const [miss, hit] = events.usage() as UsageEvent[];
    expect(miss.cached).toBe(false);
    expect(hit).toMatchObject({ cached: true, costUsd: 0 });
    // The hit's event keeps the answer's token counts; the token metric, which counts what
    // upstreams processed, counts the miss alone.
    expect(await brightpathTokens()).toEqual({
      input: tokensBefore.input + miss.inputTokens,
      output: tokensBefore.output + miss.outputTokens,
    });
  });

  it('serves Messages and Responses repeats from the cache in their own shapes, apart from chat', async () => {
    const post = (path: string, body: object) =>
      fetch(`${url}/v1/${path}`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${KEYS.brightpath}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify(body),
      });
    // Bytes every one of the three APIs accepts.
    const body = {
      model: 'gpt-4o-mini',
      max_tokens: 16,
      messages: [{ role: 'user', content: 'cache me in every shape ✓' }],
    };
    const message = await post('messages', body);
    expect(message.headers.get('x-cellport-cache')).toBeNull();
    const again = await post('messages', body);
    expect(again.headers.get('x-cellport-cache')).toBe('hit');
    const [first, repeat] = [await message.json(), await again.json()];
    // The same answer, with an id of its own that leads to its own request.
    expect(repeat).toEqual({ ...first, id: idOf('msg_', again) });
    expect(first.id).toBe(idOf('msg_', message));
    expect(repeat.type).toBe('message');
    expect(simulator.stats.snapshot().requests).toBe(1);

    // The same bytes to chat are chat's own question, answered by the upstream in chat's shape.
    const chat = await post('chat/completions', body);
    expect(chat.headers.get('x-cellport-cache')).toBeNull();
    expect((await chat.json()).object).toBe('chat.completion');
    expect(simulator.stats.snapshot().requests).toBe(2);

    const responses = {
      model: 'gpt-4o',
      input: 'cache my response',
      tools: [
        {
          type: 'function',
          name: 'lookup',
          parameters: { type: 'object', properties: {} },
        },
      ],
      tool_choice: 'required',
    };
    const answered = await post('responses', responses);
    const cachedResponse = await post('responses', responses);
    expect(cachedResponse.headers.get('x-cellport-cache')).toBe('hit');
    const [original, cached] = [
      await answered.json(),
      await cachedResponse.json(),
    ];
    expect(original.output.map((item: any) => item.type)).toContain(
      'function_call',
    );
    // Every id of the cached answer is the repeat's own: the response's and its items'.
    const renamed = (response: any, http: Response) => ({
      ...response,
      id: idOf('resp_', http),
      created_at: expect.any(Number),
      output: response.output.map((item: any, index: number) => ({
        ...item,
        id:
          item.type === 'function_call'
            ? `${idOf('fc_', http)}_${index}`
            : idOf('msg_', http),
      })),
    });
    expect(original).toEqual(renamed(original, answered));
    expect(cached).toEqual(renamed(original, cachedResponse));
    expect(cached.id).not.toBe(original.id);
    expect(simulator.stats.snapshot().requests).toBe(3);
    // A streamed request is never answered from the cache.
    const streamed = await post('messages', { ...body, stream: true });
    expect(streamed.headers.get('x-cellport-cache')).toBeNull();
    await streamed.text();
    expect(simulator.stats.snapshot().requests).toBe(4);
  });

  it('never caches for a tenant whose policy does not allow it', async () => {
    const request = {
      model: 'gpt-4o-mini',
      messages: [{ role: 'user' as const, content: 'do not cache me' }],
    };
    await client(KEYS.northwind).chat.completions.create(request);
    await client(KEYS.northwind).chat.completions.create(request);
    expect(simulator.stats.snapshot().requests).toBe(2);
  });
});

describe('the prompt cache and the route', () => {
  let simulator: SimulatorServer;
  let gateway: Gateway;
  let events: RecordingEventSink;
  let url: string;

  beforeAll(async () => {
    simulator = await startSimulator();
    // Brightpath may send CONFIDENTIAL data; gpt-4o-mini is us-small (PUBLIC data only, the
    // cheaper) or claude.
    const state = testState(simulator.url);
    state.tenants.find(t => t.id === 'brightpath')!.classification =
      'CONFIDENTIAL';
    state.modelProfiles.find(p => p.id === 'claude')!.alias = 'gpt-4o-mini';
    ({ gateway, url, events } = await startGateway(simulator.url, {
      state,
      config: {
        cache: { enabled: true, ttlSeconds: 60, maxBytes: 1024 * 1024 },
        // The production default: a prompt longer than the tokenizer reads at once fits.
        maxBodyBytes: 1024 * 1024,
      },
    }));
  });
  afterAll(async () => {
    await gateway.stop();
    await simulator.stop();
  });

  it('never answers from a profile the request may not use, though its body is a repeat', async () => {
    const post = (classification: string) =>
      fetch(`${url}/v1/chat/completions`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${KEYS.brightpath}`,
          'content-type': 'application/json',
          'x-cellport-data-classification': classification,
        },
        body: JSON.stringify({
          model: 'gpt-4o-mini',
          messages: [{ role: 'user', content: 'Vertraulich: Quartalszahlen' }],
        }),
      });
    const public1 = await post('PUBLIC');
    expect(public1.status).toBe(200);
    const confidential = await post('CONFIDENTIAL');
    expect(confidential.status).toBe(200);
    expect(confidential.headers.get('x-cellport-cache')).toBeNull();
    await eventually(() => events.usage().length === 2);
    expect(
      (events.usage() as UsageEvent[]).map(u => [u.modelProfile, u.cached]),
    ).toEqual([
      ['us-small', false],
      ['claude', false],
    ]);
    const decisions = events.decisions();
    expect(decisions[1]).toMatchObject({ chosen: 'claude' });
  });

  it("still answers from the cache when the answering profile's circuit is open: a hit calls no upstream", async () => {
    const post = () =>
      fetch(`${url}/v1/chat/completions`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${KEYS.brightpath}`,
          'content-type': 'application/json',
          'x-cellport-data-classification': 'PUBLIC',
        },
        body: JSON.stringify({
          model: 'gpt-4o-mini',
          messages: [{ role: 'user', content: 'cached while it is down' }],
        }),
      });
    expect((await post()).status).toBe(200);
    const breaker = gateway.deps.health.get('us-small').breaker;
    while (breaker.state !== 'open') {
      breaker.tryAcquire();
      breaker.onFailure();
    }
    const repeat = await post();
    expect(repeat.headers.get('x-cellport-cache')).toBe('hit');
    await eventually(() =>
      (events.usage() as UsageEvent[]).some(
        u => u.cached && u.modelProfile === 'us-small',
      ),
    );
  });
});
