import OpenAI from 'openai';
import type { SimulatorServer } from '@cellport/simulator';
import type { UsageEvent } from '@cellport/plugin-platform-common';
import {
  eventually,
  KEYS,
  RecordingEventSink,
  startGateway,
  startSimulator,
} from '../__testUtils__/fixtures';
import type { Gateway } from '../createGateway';
import { anthropicMessagesUrl } from './AnthropicAdapter';

// Real servers, Redis and NATS: generous limits so a loaded CI machine does not fail them.
jest.setTimeout(30_000);

describe('Anthropic adapter against the simulator', () => {
  let simulator: SimulatorServer;
  let gateway: Gateway;
  let events: RecordingEventSink;
  let client: OpenAI;

  beforeAll(async () => {
    simulator = await startSimulator();
    let url: string;
    ({ gateway, url, events } = await startGateway(simulator.url));
    client = new OpenAI({
      apiKey: KEYS.brightpath,
      baseURL: `${url}/v1`,
      maxRetries: 0,
    });
  });
  afterAll(async () => {
    await gateway.stop();
    await simulator.stop();
  });
  afterEach(() => {
    events.events.length = 0;
  });

  it('translates a chat request to Messages and the answer back, with usage', async () => {
    const completion = await client.chat.completions.create({
      model: 'claude-haiku',
      messages: [
        { role: 'system', content: 'be brief' },
        { role: 'user', content: 'hello claude' },
      ],
      max_tokens: 6,
    });
    expect(completion.object).toBe('chat.completion');
    expect(completion.choices[0].finish_reason).toBe('length');
    expect(completion.usage!.completion_tokens).toBe(6);
    expect(simulator.stats.snapshot().byModel['claude-model']).toBeGreaterThan(
      0,
    );
    const usage = events.usage()[0] as UsageEvent;
    expect(usage).toMatchObject({
      provider: 'anthropic',
      outputTokens: 6,
      tokensEstimated: false,
    });
    expect(usage.costUsd).toBeCloseTo(
      (usage.inputTokens * 0.8 + 6 * 4) / 1e6,
      12,
    );
  });

  it('translates the streamed events into OpenAI chunks with a final usage chunk', async () => {
    const stream = await client.chat.completions.create({
      model: 'claude-haiku',
      messages: [{ role: 'user', content: 'stream, claude' }],
      max_tokens: 5,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let finish: string | null | undefined;
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta?.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
      usage = chunk.usage ?? usage;
    }
    expect(text.split(' ')).toHaveLength(5);
    expect(finish).toBe('length');
    expect(usage).toMatchObject({ completion_tokens: 5 });
    await eventually(() => events.usage().length === 1);
    expect(events.usage()[0]).toMatchObject({
      stream: true,
      outputTokens: 5,
      tokensEstimated: false,
    });
  });

  it('translates tools and tool calls both ways, JSON and streamed', async () => {
    const request = {
      model: 'claude-haiku',
      messages: [{ role: 'user' as const, content: 'weather in Oslo today' }],
      tools: [
        {
          type: 'function' as const,
          function: {
            name: 'weather',
            description: 'forecast',
            parameters: { type: 'object' },
          },
        },
      ],
      tool_choice: 'required' as const,
    };
    const json = await client.chat.completions.create(request);
    expect(json.choices[0].finish_reason).toBe('tool_calls');
    const call = json.choices[0].message.tool_calls![0] as {
      id: string;
      function: { name: string; arguments: string };
    };
    expect(call.id).toMatch(/^toolu_/);
    expect(call.function.name).toBe('weather');
    expect(JSON.parse(call.function.arguments)).toEqual({
      query: 'weather in Oslo',
    });

    const stream = await client.chat.completions.create({
      ...request,
      stream: true,
    });
    let name = '';
    let args = '';
    let finish: string | null | undefined;
    for await (const chunk of stream) {
      const delta = chunk.choices[0]?.delta?.tool_calls?.[0];
      name += delta?.function?.name ?? '';
      args += delta?.function?.arguments ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(name).toBe('weather');
    expect(JSON.parse(args)).toEqual({ query: 'weather in Oslo' });
    expect(finish).toBe('tool_calls');
  });
});

describe('anthropicMessagesUrl', () => {
  it("reaches /v1/messages from Anthropic's base URL, with or without the version", () => {
    // The demo catalog names the base URL as Anthropic documents it; the path once came out
    // as /messages, which every upstream answers 404.
    expect(anthropicMessagesUrl('https://api.anthropic.com')).toBe(
      'https://api.anthropic.com/v1/messages',
    );
    expect(anthropicMessagesUrl('https://api.anthropic.com/')).toBe(
      'https://api.anthropic.com/v1/messages',
    );
    expect(anthropicMessagesUrl('http://127.0.0.1:7070/v1/')).toBe(
      'http://127.0.0.1:7070/v1/messages',
    );
  });
});
