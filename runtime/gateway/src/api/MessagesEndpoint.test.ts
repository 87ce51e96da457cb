import Anthropic from '@anthropic-ai/sdk';
import type { SimulatorServer } from '@cellport/simulator';
import type {
  RoutingDecision,
  UsageEvent,
} from '@cellport/plugin-platform-common';
import {
  eventually,
  KEYS,
  RecordingEventSink,
  startGateway,
  startSimulator,
} from '../__testUtils__/fixtures';
import type { Gateway } from '../createGateway';

// Real servers: generous limits so a loaded CI machine does not fail them.
jest.setTimeout(30_000);

const lookupTool = {
  name: 'lookup',
  description: 'Looks a word up',
  input_schema: {
    type: 'object' as const,
    properties: { query: { type: 'string' } },
    required: ['query'],
  },
};

describe('POST /v1/messages with the official Anthropic client', () => {
  let simulator: SimulatorServer;
  let gateway: Gateway;
  let events: RecordingEventSink;
  let url: string;
  /** Anthropic's SDK (1.x) sends `apiKey` as a Bearer token. */
  const client = (key = KEYS.brightpath) =>
    new Anthropic({ apiKey: key, baseURL: url, maxRetries: 0 });

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

  async function onlyEvents(): Promise<[RoutingDecision, UsageEvent]> {
    await eventually(() => events.usage().length === 1);
    expect(events.decisions()).toHaveLength(1);
    expect(events.usage()).toHaveLength(1);
    return [
      events.decisions()[0] as RoutingDecision,
      events.usage()[0] as UsageEvent,
    ];
  }

  it('answers through an OpenAI-protocol profile, charging the usage it reports', async () => {
    const message = await client().messages.create({
      model: 'gpt-4o-mini',
      max_tokens: 12,
      system: 'Answer briefly.',
      messages: [{ role: 'user', content: 'Say hello to the gateway' }],
    });
    expect(message).toMatchObject({
      type: 'message',
      role: 'assistant',
      stop_reason: expect.stringMatching(/^(end_turn|max_tokens)$/),
    });
    expect(message.id).toMatch(/^msg_/);
    expect(message.content[0]).toMatchObject({
      type: 'text',
      text: expect.any(String),
    });
    expect(message.usage.output_tokens).toBeLessThanOrEqual(12);
    const [decision, usage] = await onlyEvents();
    expect(decision).toMatchObject({ chosen: 'us-small', outcome: 'success' });
    expect(usage).toMatchObject({
      provider: 'simulator',
      stream: false,
      inputTokens: message.usage.input_tokens,
      outputTokens: message.usage.output_tokens,
      tokensEstimated: false,
      status: 200,
    });
    expect(usage.costUsd).toBeGreaterThan(0);
  });

  it('takes the key from x-api-key, as curl examples and earlier Anthropic SDKs send it', async () => {
    const apiKeyHeader = new Anthropic({
      apiKey: null,
      authToken: null,
      defaultHeaders: { 'x-api-key': KEYS.brightpath },
      baseURL: url,
      maxRetries: 0,
    });
    const message = await apiKeyHeader.messages.create({
      model: 'gpt-4o-mini',
      max_tokens: 8,
      messages: [{ role: 'user', content: 'x-api-key please' }],
    });
    expect(message.content.length).toBeGreaterThan(0);
    await onlyEvents();
  });

  it('streams message_start, content blocks, message_delta with usage, message_stop', async () => {
    const stream = await client().messages.create({
      model: 'gpt-4o-mini',
      max_tokens: 20,
      messages: [
        {
          role: 'user',
          content: [{ type: 'text', text: 'Stream a short answer' }],
        },
      ],
      stream: true,
    });
    const seen: any[] = [];
    for await (const event of stream) seen.push(event);
    const types = seen.map(event => event.type);
    expect(types.slice(0, 2)).toEqual(['message_start', 'content_block_start']);
    expect(types.slice(-3)).toEqual([
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    expect(new Set(types.slice(2, -3))).toEqual(
      new Set(['content_block_delta']),
    );
    const delta = seen[seen.length - 2];
    const [, usage] = await onlyEvents();
    expect(delta.usage).toMatchObject({
      input_tokens: usage.inputTokens,
      output_tokens: usage.outputTokens,
    });
    expect(usage).toMatchObject({ stream: true, tokensEstimated: false });
    expect(usage.outputTokens).toBeGreaterThan(0);
  });

  it("streams what the SDK's own accumulator takes, usage included (messages.stream)", async () => {
    const final = await client()
      .messages.stream({
        model: 'gpt-4o-mini',
        max_tokens: 20,
        messages: [{ role: 'user', content: 'Accumulate me' }],
      })
      .finalMessage();
    expect(final.content[0].type).toBe('text');
    const [, usage] = await onlyEvents();
    expect(final.usage).toMatchObject({
      input_tokens: usage.inputTokens,
      output_tokens: usage.outputTokens,
    });
    expect(usage.inputTokens).toBeGreaterThan(0);
  });

  it('answers forced tool use, and takes the tool result back', async () => {
    const message = await client().messages.create({
      model: 'gpt-4o',
      max_tokens: 100,
      messages: [{ role: 'user', content: 'weather in Lisbon' }],
      tools: [lookupTool],
      tool_choice: { type: 'any' },
    });
    expect(message.stop_reason).toBe('tool_use');
    const toolUse = message.content.find(block => block.type === 'tool_use');
    if (toolUse?.type !== 'tool_use') throw new Error('no tool use');
    expect(toolUse).toMatchObject({
      name: 'lookup',
      input: { query: 'weather in Lisbon' },
    });
    const [decision] = await onlyEvents();
    expect(decision.requiredCapabilities).toContain('tools');
    events.events.length = 0;

    const answer = await client().messages.create({
      model: 'gpt-4o',
      max_tokens: 50,
      tools: [lookupTool],
      messages: [
        { role: 'user', content: 'weather in Lisbon' },
        { role: 'assistant', content: message.content },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: toolUse.id, content: '22 C' },
            { type: 'text', text: 'and tomorrow?' },
          ],
        },
      ],
    });
    expect(answer.stop_reason).toMatch(/^(end_turn|max_tokens)$/);
    expect(answer.content[0].type).toBe('text');
    await onlyEvents();
  });

  it('streams tool use as input_json_delta events', async () => {
    const final = await client()
      .messages.stream({
        model: 'gpt-4o',
        max_tokens: 100,
        messages: [{ role: 'user', content: 'stream a call' }],
        tools: [lookupTool],
        tool_choice: { type: 'tool', name: 'lookup' },
      })
      .finalMessage();
    expect(final.stop_reason).toBe('tool_use');
    expect(final.content).toEqual([
      {
        type: 'tool_use',
        id: expect.stringMatching(/^call_/),
        name: 'lookup',
        input: { query: 'stream a call' },
      },
    ]);
    const [, usage] = await onlyEvents();
    expect(final.usage.output_tokens).toBe(usage.outputTokens);
  });

  it('reaches an Anthropic profile through both translations, JSON and streamed', async () => {
    const message = await client().messages.create({
      model: 'claude-haiku',
      max_tokens: 16,
      messages: [{ role: 'user', content: 'hello claude' }],
    });
    expect(message.content[0].type).toBe('text');
    const [decision, usage] = await onlyEvents();
    expect(decision.chosen).toBe('claude');
    expect(usage).toMatchObject({
      provider: 'anthropic',
      inputTokens: message.usage.input_tokens,
      outputTokens: message.usage.output_tokens,
    });
    events.events.length = 0;

    const final = await client()
      .messages.stream({
        model: 'claude-haiku',
        max_tokens: 100,
        messages: [{ role: 'user', content: 'stream from claude' }],
        tools: [lookupTool],
        tool_choice: { type: 'any' },
      })
      .finalMessage();
    expect(final.content[0]).toMatchObject({
      type: 'tool_use',
      name: 'lookup',
      input: { query: 'stream from claude' },
    });
    const [, streamed] = await onlyEvents();
    expect(final.usage.output_tokens).toBe(streamed.outputTokens);
  });
});
