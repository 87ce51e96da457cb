import OpenAI from 'openai';
import { SimulatorServer } from './SimulatorServer';

describe('SimulatorServer', () => {
  const simulator = new SimulatorServer({
    port: 0,
    defaults: {
      ttftMs: 0,
      tokensPerSecond: 0,
      errorRate: 0,
      maxOutputTokens: 4096,
      embeddingDimensions: 8,
    },
  });
  let client: OpenAI;

  beforeAll(async () => {
    const url = await simulator.start();
    client = new OpenAI({
      apiKey: 'unused',
      baseURL: `${url}/v1`,
      maxRetries: 0,
    });
  });
  afterAll(() => simulator.stop());
  afterEach(() => {
    simulator.faults.clear();
    simulator.stats.reset();
  });

  it('answers chat completions deterministically with usage', async () => {
    const ask = () =>
      client.chat.completions.create({
        model: 'sim-small',
        messages: [{ role: 'user', content: 'hello there' }],
        seed: 7,
      });
    const first = await ask();
    const second = await ask();
    expect(first.choices[0].message.content).toBe(
      second.choices[0].message.content,
    );
    expect(first.usage!.completion_tokens).toBeGreaterThanOrEqual(8);
    expect(first.usage!.prompt_tokens).toBe(
      Math.ceil('hello there'.length / 4) + 3,
    );
    expect(first.usage!.total_tokens).toBe(
      first.usage!.prompt_tokens + first.usage!.completion_tokens,
    );
  });

  it('honours max_tokens and reports finish_reason length', async () => {
    const completion = await client.chat.completions.create({
      model: 'sim-small',
      messages: [{ role: 'user', content: 'a long answer please' }],
      max_tokens: 3,
    });
    expect(completion.usage!.completion_tokens).toBe(3);
    expect(completion.choices[0].finish_reason).toBe('length');
  });

  it('counts a prompt token per UTF-8 byte and ignores max_tokens when told to (admin API)', async () => {
    const patch = await fetch(`${simulator.url}/admin/models/sim-worst`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        promptTokens: 'utf8-bytes',
        ignoreMaxTokens: true,
        maxOutputTokens: 50,
      }),
    });
    expect(patch.status).toBe(200);
    const prompt = '預算🧨\u0001';
    const completion = await client.chat.completions.create({
      model: 'sim-worst',
      messages: [{ role: 'user', content: prompt }],
      max_tokens: 3,
    });
    expect(completion.usage!.prompt_tokens).toBe(
      Buffer.byteLength(prompt, 'utf8') + 3,
    );
    expect(completion.usage!.completion_tokens).toBe(50);
    expect(completion.choices[0].finish_reason).toBe('length');
  });

  it('streams tokens and a final usage chunk when asked', async () => {
    const stream = await client.chat.completions.create({
      model: 'sim-small',
      messages: [{ role: 'user', content: 'stream me' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let usage: OpenAI.CompletionUsage | undefined | null;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta?.content ?? '';
      if (chunk.usage) {
        usage = chunk.usage;
      }
    }
    expect(usage!.completion_tokens).toBe(text.split(' ').length);
  });

  it('answers n completions, JSON and streamed, and counts them all in the usage', async () => {
    const request = {
      model: 'sim-small',
      messages: [{ role: 'user' as const, content: 'three takes, please' }],
      seed: 11,
    };
    const one = await client.chat.completions.create(request);
    const three = await client.chat.completions.create({ ...request, n: 3 });
    expect(three.choices.map(choice => choice.index)).toEqual([0, 1, 2]);
    const texts = three.choices.map(choice => choice.message.content!);
    // The first is the answer without n; the others differ, as sampled completions do.
    expect(texts[0]).toBe(one.choices[0].message.content);
    expect(new Set(texts).size).toBe(3);
    const words = (text: string) => text.split(' ').length;
    expect(three.usage!.completion_tokens).toBe(
      texts.reduce((sum, text) => sum + words(text), 0),
    );

    const stream = await client.chat.completions.create({
      ...request,
      n: 3,
      stream: true,
      stream_options: { include_usage: true },
    });
    const streamed = ['', '', ''];
    const finished: string[] = [];
    let usage: OpenAI.CompletionUsage | undefined | null;
    for await (const chunk of stream) {
      for (const choice of chunk.choices) {
        streamed[choice.index] += choice.delta?.content ?? '';
        if (choice.finish_reason) finished[choice.index] = choice.finish_reason;
      }
      if (chunk.usage) usage = chunk.usage;
    }
    expect(streamed).toEqual(texts);
    expect(finished).toEqual(three.choices.map(choice => choice.finish_reason));
    expect(usage!.completion_tokens).toBe(three.usage!.completion_tokens);

    const refused = await fetch(`${simulator.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...request, n: 0 }),
    });
    expect(refused.status).toBe(400);
    expect((await refused.json()).error).toMatchObject({ param: 'n' });
  });

  it('answers with a tool call when the request forces one, JSON and streamed', async () => {
    const request = {
      model: 'sim-small',
      messages: [{ role: 'user' as const, content: 'weather in Oslo today' }],
      tools: [
        {
          type: 'function' as const,
          function: { name: 'weather', parameters: { type: 'object' } },
        },
      ],
      tool_choice: 'required' as const,
    };
    const json = await client.chat.completions.create(request);
    expect(json.choices[0].finish_reason).toBe('tool_calls');
    const call = json.choices[0].message.tool_calls![0] as {
      function: { name: string; arguments: string };
    };
    expect(call.function.name).toBe('weather');
    expect(JSON.parse(call.function.arguments)).toEqual({
      query: 'weather in Oslo',
    });
    const stream = await client.chat.completions.create({
      ...request,
      stream: true,
    });
    let args = '';
    for await (const chunk of stream) {
      args +=
        chunk.choices[0]?.delta?.tool_calls?.[0]?.function?.arguments ?? '';
    }
    expect(args).toBe(call.function.arguments);
  });

  it('answers a forced custom tool with a custom call of free-form input, JSON and streamed', async () => {
    const ask = (stream: boolean) =>
      fetch(`${simulator.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          model: 'sim-small',
          stream,
          messages: [{ role: 'user', content: 'count the new customers' }],
          tools: [
            {
              type: 'function',
              function: { name: 'weather', parameters: { type: 'object' } },
            },
            { type: 'custom', custom: { name: 'run_sql' } },
          ],
          tool_choice: { type: 'custom', custom: { name: 'run_sql' } },
        }),
      });
    const json = await (await ask(false)).json();
    expect(json.choices[0].finish_reason).toBe('tool_calls');
    expect(json.choices[0].message.tool_calls).toEqual([
      {
        id: expect.stringMatching(/^call_/),
        type: 'custom',
        custom: { name: 'run_sql', input: 'count the new' },
      },
    ]);
    const sse = await (await ask(true)).text();
    let input = '';
    for (const line of sse.split('\n')) {
      if (!line.startsWith('data: {')) continue;
      const delta = JSON.parse(line.slice(6)).choices[0]?.delta;
      input += delta?.tool_calls?.[0]?.custom?.input ?? '';
      expect(delta?.tool_calls?.[0]?.function).toBeUndefined();
    }
    expect(input).toBe('count the new');
  });

  it('answers embeddings in float and base64', async () => {
    const result = await client.embeddings.create({
      model: 'sim-embed',
      input: ['one', 'two'],
    });
    expect(result.data).toHaveLength(2);
    expect(result.data[0].embedding).toHaveLength(8);
    const norm = Math.hypot(...result.data[0].embedding);
    expect(norm).toBeCloseTo(1, 4);
    expect(result.usage.prompt_tokens).toBeGreaterThan(0);
  });

  it('rejects a malformed request naming the field', async () => {
    await expect(
      client.chat.completions.create({ model: 'sim-small', messages: [] }),
    ).rejects.toMatchObject({
      status: 400,
      message: expect.stringContaining('messages'),
    });
  });

  it('forces 429s with Retry-After through the admin API', async () => {
    const response = await fetch(`${simulator.url}/admin/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        mode: 'rate-limit',
        model: 'sim-small',
        retryAfterSeconds: 3,
      }),
    });
    expect(response.status).toBe(200);
    const limited = await fetch(`${simulator.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'sim-small',
        messages: [{ role: 'user', content: 'x' }],
      }),
    });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('3');
    // Other models are untouched.
    await expect(
      client.chat.completions.create({
        model: 'sim-other',
        messages: [{ role: 'user', content: 'x' }],
      }),
    ).resolves.toBeDefined();
    expect(simulator.stats.snapshot()).toMatchObject({
      requests: 2,
      faulted: 1,
    });
  });

  it('forces an outage that ends after the given number of requests', async () => {
    simulator.faults.add({
      mode: 'outage',
      extraLatencyMs: 0,
      retryAfterSeconds: 1,
      remaining: 1,
    });
    await expect(
      client.chat.completions.create({
        model: 'm',
        messages: [{ role: 'user', content: 'x' }],
      }),
    ).rejects.toMatchObject({ status: 503 });
    await expect(
      client.chat.completions.create({
        model: 'm',
        messages: [{ role: 'user', content: 'x' }],
      }),
    ).resolves.toBeDefined();
  });

  it('cuts a stream off halfway when told to', async () => {
    simulator.faults.add({
      mode: 'cut',
      extraLatencyMs: 0,
      retryAfterSeconds: 1,
      remaining: 1,
    });
    let text = '';
    const failure = await client.chat.completions
      .create({
        model: 'm',
        messages: [{ role: 'user', content: 'x' }],
        stream: true,
        max_tokens: 10,
      })
      .then(async stream => {
        for await (const chunk of stream)
          text += chunk.choices[0]?.delta?.content ?? '';
      })
      .then(
        () => undefined,
        e => e,
      );
    expect(failure).toBeTruthy();
    expect(text.split(' ')).toHaveLength(5);
    expect(simulator.stats.snapshot()).toMatchObject({
      faulted: 1,
      cancelled: 0,
    });
  });

  it('answers Anthropic messages, JSON and streamed', async () => {
    const body = {
      model: 'claude-sim',
      max_tokens: 5,
      system: 'be brief',
      messages: [{ role: 'user', content: 'hi' }],
    };
    const json = await fetch(`${simulator.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    }).then(response => response.json());
    expect(json).toMatchObject({
      type: 'message',
      stop_reason: 'max_tokens',
      usage: { output_tokens: 5 },
    });
    const stream = await fetch(`${simulator.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...body, stream: true }),
    }).then(response => response.text());
    expect(stream).toContain('event: message_start');
    expect(stream.match(/event: content_block_delta/g)).toHaveLength(5);
    expect(stream).toContain('"output_tokens":5');
    expect(stream).toContain('event: message_stop');
  });

  it('serves Azure OpenAI deployment paths, taking the model from the path', async () => {
    const response = await fetch(
      `${simulator.url}/openai/deployments/gpt-4o-eu/chat/completions?api-version=2024-10-21`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ messages: [{ role: 'user', content: 'hi' }] }),
      },
    );
    expect(response.status).toBe(200);
    expect((await response.json()).model).toBe('gpt-4o-eu');
  });

  it('answers Anthropic errors in Anthropic shape', async () => {
    const response = await fetch(`${simulator.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'claude-sim', messages: [] }),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({
      type: 'error',
      error: { type: 'invalid_request_error' },
    });
  });
});
