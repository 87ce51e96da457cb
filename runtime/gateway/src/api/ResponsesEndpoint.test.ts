import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import type { SimulatorServer } from '@cellport/simulator';
import type {
  RoutingDecision,
  UsageEvent,
} from '@cellport/plugin-platform-common';
import {
  chatCompletion,
  eventually,
  KEYS,
  RecordingEventSink,
  startGateway,
  startSimulator,
  testState,
} from '../__testUtils__/fixtures';
import type { Gateway } from '../createGateway';

// Real servers: generous limits so a loaded CI machine does not fail them.
jest.setTimeout(30_000);

const lookupTool = {
  type: 'function' as const,
  name: 'lookup',
  description: 'Looks a word up',
  parameters: {
    type: 'object',
    properties: { query: { type: 'string' } },
    required: ['query'],
  },
  strict: false,
};

describe('POST /v1/responses with the official openai client', () => {
  let simulator: SimulatorServer;
  let gateway: Gateway;
  let events: RecordingEventSink;
  let url: string;
  const client = (key = KEYS.brightpath) =>
    new OpenAI({ apiKey: key, baseURL: `${url}/v1`, maxRetries: 0 });

  beforeAll(async () => {
    simulator = await startSimulator();
    ({ gateway, url, events } = await startGateway(simulator.url));
  });
  afterAll(async () => {
    await gateway.stop();
    await simulator.stop();
  });
  afterEach(() => {
    events.events.length = 0;
  });

  /** The one decision and one usage event of the only request since the last test. */
  async function onlyEvents(): Promise<[RoutingDecision, UsageEvent]> {
    await eventually(() => events.usage().length === 1);
    expect(events.decisions()).toHaveLength(1);
    expect(events.usage()).toHaveLength(1);
    return [
      events.decisions()[0] as RoutingDecision,
      events.usage()[0] as UsageEvent,
    ];
  }

  it('answers text input with a response, charging the usage it reports', async () => {
    const response = await client().responses.create({
      model: 'gpt-4o-mini',
      instructions: 'Answer briefly.',
      input: 'Say hello to the gateway',
      max_output_tokens: 12,
    });
    expect(response).toMatchObject({
      object: 'response',
      status: expect.stringMatching(/^(completed|incomplete)$/),
      instructions: 'Answer briefly.',
      max_output_tokens: 12,
      store: false,
    });
    expect(response.id).toMatch(/^resp_/);
    expect(response.output[0]).toMatchObject({
      type: 'message',
      role: 'assistant',
    });
    expect(response.output_text.length).toBeGreaterThan(0);
    expect(response.usage!.output_tokens).toBeLessThanOrEqual(12);
    const [decision, usage] = await onlyEvents();
    expect(decision).toMatchObject({
      requestedModel: 'gpt-4o-mini',
      outcome: 'success',
      chosen: 'us-small',
    });
    expect(usage).toMatchObject({
      stream: false,
      inputTokens: response.usage!.input_tokens,
      outputTokens: response.usage!.output_tokens,
      tokensEstimated: false,
      status: 200,
    });
    expect(usage.costUsd).toBeGreaterThan(0);
    expect(response.id).toBe(`resp_${usage.requestId.replaceAll('-', '')}`);
  });

  it('takes message items with content parts', async () => {
    const response = await client().responses.create({
      model: 'gpt-4o-mini',
      input: [
        { role: 'developer', content: 'Be terse.' },
        {
          type: 'message',
          role: 'user',
          content: [{ type: 'input_text', text: 'first question' }],
        },
        { role: 'assistant', content: 'first answer' },
        { role: 'user', content: 'second question' },
      ],
    });
    expect(response.status).toBe('completed');
    expect(response.output_text.length).toBeGreaterThan(0);
    await onlyEvents();
  });

  it('streams typed events that end with response.completed and its usage', async () => {
    const stream = await client().responses.create({
      model: 'gpt-4o-mini',
      input: 'Stream a short answer',
      max_output_tokens: 20,
      stream: true,
    });
    const seen: any[] = [];
    for await (const event of stream) seen.push(event);
    const types = seen.map(event => event.type);
    expect(types.slice(0, 4)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
    ]);
    expect(types).toContain('response.output_text.delta');
    expect(types.slice(-4)).toEqual([
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      expect.stringMatching(/^response\.(completed|incomplete)$/),
    ]);
    expect(seen.map(event => event.sequence_number)).toEqual(
      seen.map((_, i) => i),
    );
    const text = seen
      .filter(event => event.type === 'response.output_text.delta')
      .map(event => event.delta)
      .join('');
    const done = seen.find(event => event.type === 'response.output_text.done');
    expect(done.text).toBe(text);
    const final = seen[seen.length - 1].response;
    expect(final.output[0].content[0].text).toBe(text);
    const [, usage] = await onlyEvents();
    expect(usage).toMatchObject({
      stream: true,
      inputTokens: final.usage.input_tokens,
      outputTokens: final.usage.output_tokens,
      tokensEstimated: false,
    });
    expect(usage.timeToFirstTokenMs).toBeDefined();
  });

  it("streams events the SDK's own accumulator accepts (responses.stream)", async () => {
    const stream = client().responses.stream({
      model: 'gpt-4o-mini',
      input: 'Accumulate me',
    });
    const final = await stream.finalResponse();
    expect(final.output_text.length).toBeGreaterThan(0);
    expect(final.usage!.total_tokens).toBe(
      final.usage!.input_tokens + final.usage!.output_tokens,
    );
    await onlyEvents();
  });

  it('answers a forced function call, and takes its output back as input', async () => {
    const response = await client().responses.create({
      model: 'gpt-4o',
      input: 'weather in Lisbon',
      tools: [lookupTool],
      tool_choice: 'required',
    });
    const call = response.output.find(item => item.type === 'function_call');
    expect(call).toMatchObject({
      type: 'function_call',
      name: 'lookup',
      status: 'completed',
    });
    if (call?.type !== 'function_call') throw new Error('no function call');
    expect(call.call_id).toMatch(/^call_/);
    expect(JSON.parse(call.arguments)).toEqual({ query: 'weather in Lisbon' });
    const [decision] = await onlyEvents();
    expect(decision.requiredCapabilities).toContain('tools');
    events.events.length = 0;

    const followUp = await client().responses.create({
      model: 'gpt-4o',
      input: [
        { role: 'user', content: 'weather in Lisbon' },
        call,
        { type: 'function_call_output', call_id: call.call_id, output: '22 C' },
      ],
      tools: [lookupTool],
    });
    expect(followUp.output_text.length).toBeGreaterThan(0);
    await onlyEvents();
  });

  it('streams a function call with its argument events', async () => {
    const stream = await client().responses.create({
      model: 'gpt-4o',
      input: 'stream a call',
      tools: [lookupTool],
      tool_choice: { type: 'function', name: 'lookup' },
      stream: true,
    });
    const seen: any[] = [];
    for await (const event of stream) seen.push(event);
    const types = seen.map(event => event.type);
    expect(types).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.done',
      'response.output_item.done',
      'response.completed',
    ]);
    const args = seen
      .filter(e => e.type === 'response.function_call_arguments.delta')
      .map(e => e.delta)
      .join('');
    expect(JSON.parse(args)).toEqual({ query: 'stream a call' });
    expect(seen[5]).toMatchObject({ name: 'lookup', arguments: args });
    const final = seen[7].response;
    expect(final.output[0]).toMatchObject({
      type: 'function_call',
      name: 'lookup',
      arguments: args,
    });
    expect(final.usage.output_tokens).toBeGreaterThan(0);
    const [, usage] = await onlyEvents();
    expect(usage.outputTokens).toBe(final.usage.output_tokens);
  });

  it('reaches an Anthropic profile, JSON and streamed', async () => {
    const response = await client().responses.create({
      model: 'claude-haiku',
      input: 'hello claude',
      max_output_tokens: 16,
    });
    expect(response.output_text.length).toBeGreaterThan(0);
    const [decision, usage] = await onlyEvents();
    expect(decision.chosen).toBe('claude');
    expect(usage).toMatchObject({
      provider: 'anthropic',
      inputTokens: response.usage!.input_tokens,
      outputTokens: response.usage!.output_tokens,
    });
    events.events.length = 0;

    const stream = client().responses.stream({
      model: 'claude-haiku',
      input: 'stream from claude',
      tools: [lookupTool],
      tool_choice: 'required',
    });
    const final = await stream.finalResponse();
    expect(final.output[0]).toMatchObject({
      type: 'function_call',
      name: 'lookup',
    });
    const [, streamed] = await onlyEvents();
    expect(streamed).toMatchObject({
      stream: true,
      outputTokens: final.usage!.output_tokens,
    });
  });
});

describe('POST /v1/responses answered from the prompt cache', () => {
  let simulator: SimulatorServer;
  let gateway: Gateway;
  let url: string;
  // Text and a refusal: two message items in one answer.
  const upstream = createServer((req, res) => {
    req.resume();
    req.on('end', () =>
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(
          chatCompletion(
            { content: 'Partly,', refusal: 'but no more.' },
            { prompt: 5, completion: 4 },
          ),
        ),
    );
  });

  beforeAll(async () => {
    simulator = await startSimulator();
    await new Promise<void>(resolve =>
      upstream.listen(0, '127.0.0.1', () => resolve()),
    );
    const state = testState(simulator.url);
    state.modelProfiles.find(
      p => p.id === 'us-large',
    )!.endpoint = `http://127.0.0.1:${
      (upstream.address() as AddressInfo).port
    }/v1`;
    ({ gateway, url } = await startGateway(simulator.url, {
      state,
      config: {
        cache: { enabled: true, ttlSeconds: 60, maxBytes: 1024 * 1024 },
      },
    }));
  });
  afterAll(async () => {
    await gateway.stop();
    await simulator.stop();
    upstream.closeAllConnections();
    await new Promise(resolve => upstream.close(resolve));
  });

  it('gives each message item of a cached answer an id of its own, as a fresh answer does', async () => {
    const ask = () =>
      fetch(`${url}/v1/responses`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${KEYS.brightpath}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify({ model: 'gpt-4o', input: 'cache two items' }),
      });
    const itemIds = async (response: Response) => {
      const tag = response.headers.get('x-request-id')!.replaceAll('-', '');
      const body = await response.json();
      return body.output.map((item: { id: string }) =>
        item.id.replace(tag, '<tag>'),
      );
    };
    const fresh = await ask();
    const cached = await ask();
    expect(cached.headers.get('x-cellport-cache')).toBe('hit');
    expect(await itemIds(fresh)).toEqual(['msg_<tag>', 'msg_<tag>_1']);
    expect(await itemIds(cached)).toEqual(['msg_<tag>', 'msg_<tag>_1']);
  });
});
