/**
 * A request whose upstream reported no usage (a stream its caller abandoned or the upstream
 * cut, an answer without a `usage` field, a JSON request its caller left while the upstream
 * worked on it) is still billed by the upstream. The gateway charges the prompt the upstream
 * counted when it said so before answering (Anthropic's `message_start`), else the prompt's
 * token bound (a token a body byte), and the tokenizer's count of the answer: it never charges
 * less than the upstream bills, and a tenant that abandons its requests cannot spend past its
 * budget, in any script.
 *
 * The upstream is the real simulator, on the OpenAI protocol and acting as Anthropic, counting
 * a prompt token per UTF-8 byte (plus three a message): the budget tests' own adversary
 * (`anyInput.test.ts`).
 */
import type { ServerResponse } from 'node:http';
import type { SimulatorServer } from '@cellport/simulator';
import type { UsageEvent } from '@cellport/plugin-platform-common';
import { RawUpstream } from '../__testUtils__/RawUpstream';
import {
  clockFromMinuteStart,
  eventually,
  KEYS,
  postChat,
  RecordingEventSink,
  startGateway,
  startSimulator,
  streamThenLeave,
  testState,
} from '../__testUtils__/fixtures';
import type { Gateway } from '../createGateway';
import { InMemoryLimiter } from './InMemoryLimiter';
import { promptTokenBound } from './promptTokenBound';
import { maxRequestCostUsd } from '../usage/cost';

jest.setTimeout(60_000);

/** About 2 KB of CJK: 3 UTF-8 bytes a character, which a tokenizer counts far lower. */
const PROMPT = '預算必須對任何輸入都成立，無論是哪種文字。'.repeat(33);
const MAX_TOKENS = 20;
/** What the simulator reports (and bills) for the prompt: a token a byte, three a message. */
const UPSTREAM_PROMPT_TOKENS = Buffer.byteLength(PROMPT, 'utf8') + 3;

const chatBody = (model: string) => ({
  model,
  max_tokens: MAX_TOKENS,
  messages: [{ role: 'user', content: PROMPT }],
});
const responsesBody = {
  model: 'gpt-4o',
  max_output_tokens: MAX_TOKENS,
  input: PROMPT,
};

/**
 * Brightpath's two upstreams, and a streaming request of each API they serve with what shows
 * its answer under way: the first is the one a test cuts off.
 */
const UPSTREAMS = [
  {
    protocol: 'OpenAI-protocol',
    profile: 'us-large',
    upstreamModel: 'us-large-model',
    inputUsdPerToken: 2.5e-6,
    streams: [
      [
        '/v1/chat/completions',
        { ...chatBody('gpt-4o'), stream: true },
        '"content":"',
      ],
      [
        '/v1/responses',
        { ...responsesBody, stream: true },
        'response.output_text.delta',
      ],
    ] as Array<[string, Record<string, unknown>, string]>,
  },
  {
    protocol: 'Anthropic',
    profile: 'claude',
    upstreamModel: 'claude-model',
    inputUsdPerToken: 0.8e-6,
    streams: [
      [
        '/v1/messages',
        { ...chatBody('claude-haiku'), stream: true },
        'content_block_delta',
      ],
      [
        '/v1/chat/completions',
        { ...chatBody('claude-haiku'), stream: true },
        '"content":"',
      ],
    ] as Array<[string, Record<string, unknown>, string]>,
  },
];

/** Brightpath's request: its allowed models are us-large and claude. */
const post = (
  url: string,
  path: string,
  body: Record<string, unknown>,
  signal?: AbortSignal,
) => postChat(url, body, { key: KEYS.brightpath, path, signal });

/** A chat completion of `choices` as an upstream that reports no usage answers it. */
function answerWithoutUsage(res: ServerResponse, choices: object[]): void {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(
    JSON.stringify({
      id: 'chatcmpl-1',
      object: 'chat.completion',
      created: 1,
      model: 'm',
      choices,
    }),
  );
}

describe('usage the upstream did not report', () => {
  let simulator: SimulatorServer;
  beforeAll(async () => {
    simulator = await startSimulator();
  });
  // Slow enough that a caller leaves long before the answer's end.
  beforeEach(() => {
    for (const { upstreamModel } of UPSTREAMS) {
      simulator.catalog.update(upstreamModel, {
        promptTokens: 'utf8-bytes',
        tokensPerSecond: 4,
        ttftMs: 0,
        omitUsage: false,
      });
    }
  });
  afterEach(() => simulator.faults.clear());
  afterAll(() => simulator.stop());

  /** A gateway whose Brightpath has `budgetUsd`, under a state version of its own. */
  async function start(budgetUsd = 50) {
    const state = testState(
      simulator.url,
      `unreported-${Math.random().toString(36).slice(2, 8)}`,
    );
    state.tenants[1].monthlyBudgetUsd = budgetUsd;
    // A month that began mid-test would give a second budget.
    return startGateway(simulator.url, {
      state,
      overrides: {
        limiter: new InMemoryLimiter(),
        now: clockFromMinuteStart(),
      },
    });
  }

  /** The one UsageEvent of a gateway, once it is recorded. */
  async function onlyUsage(events: {
    usage(): unknown[];
  }): Promise<UsageEvent> {
    await eventually(() => events.usage().length === 1);
    return events.usage()[0] as UsageEvent;
  }

  describe.each(UPSTREAMS)(
    'streams of an $protocol upstream',
    ({ profile, upstreamModel, inputUsdPerToken, streams }) => {
      it.each(streams)(
        'charges an abandoned %s stream at least the prompt the upstream bills',
        async (path, body, marker) => {
          const { gateway, url, events } = await start();
          try {
            expect(await streamThenLeave(url, path, body, marker)).toBe(200);
            const usage = await onlyUsage(events);
            expect(usage.modelProfile).toBe(profile);
            expect(usage.inputTokens).toBeGreaterThanOrEqual(
              UPSTREAM_PROMPT_TOKENS,
            );
          } finally {
            await gateway.stop();
          }
        },
      );

      it('charges a stream the upstream broke off at least the prompt it bills', async () => {
        const [path, body] = streams[0];
        const { gateway, url, events } = await start();
        simulator.catalog.update(upstreamModel, { tokensPerSecond: 0 });
        simulator.faults.add({
          mode: 'cut',
          model: upstreamModel,
          extraLatencyMs: 0,
          retryAfterSeconds: 1,
        });
        try {
          const response = await post(url, path, body);
          expect(response.status).toBe(200);
          // The caller reads to the end: an error event closes the broken stream.
          expect(await response.text()).toContain('error');
          const usage = await onlyUsage(events);
          expect(usage.modelProfile).toBe(profile);
          expect(usage.inputTokens).toBeGreaterThanOrEqual(
            UPSTREAM_PROMPT_TOKENS,
          );
        } finally {
          await gateway.stop();
        }
      });

      it.each(streams)(
        'keeps what abandoned %s streams cost the upstream within the budget plus one request',
        async (path, body, marker) => {
          const upstream = testState(simulator.url).modelProfiles.find(
            p => p.id === profile,
          )!;
          // What the gateway reserves for one request: its body's bytes, and every output token.
          const oneRequestUsd = maxRequestCostUsd(
            upstream,
            promptTokenBound(Buffer.from(JSON.stringify(body))),
            MAX_TOKENS,
          );
          const budget = 3 * oneRequestUsd;
          const { gateway, url, events } = await start(budget);
          try {
            // Until the budget refuses; one at a time, so each is charged before the next reserves.
            let served = 0;
            while (
              served < 15 &&
              (await streamThenLeave(url, path, body, marker)) === 200
            ) {
              served += 1;
              const charged = served;
              await eventually(() => events.usage().length === charged);
            }
            expect(served).toBeLessThan(15);
            const upstreamCostUsd =
              served * UPSTREAM_PROMPT_TOKENS * inputUsdPerToken;
            expect(upstreamCostUsd).toBeLessThanOrEqual(budget + oneRequestUsd);
          } finally {
            await gateway.stop();
          }
        },
      );
    },
  );

  /** A forced call of a custom tool: the simulator answers with its free-form input. */
  const customCall = {
    tools: [{ type: 'custom', custom: { name: 'run_sql' } }],
    tool_choice: { type: 'custom', custom: { name: 'run_sql' } },
  };

  it.each([
    ['text', false, {}, '"content":"'],
    ['text', true, {}, '"content":"'],
    ['a custom tool call', false, customCall, '"type":"custom"'],
    ['a custom tool call', true, customCall, '"type":"custom"'],
  ])(
    'charges a finished answer of %s (stream: %s) that came without usage at least the prompt the upstream bills and what it generated, as an estimate',
    async (_what, stream, extra, marker) => {
      const { gateway, url, events } = await start();
      simulator.catalog.update('us-large-model', {
        tokensPerSecond: 0,
        omitUsage: true,
      });
      try {
        const response = await post(url, '/v1/chat/completions', {
          ...chatBody('gpt-4o'),
          stream,
          ...extra,
        });
        expect(response.status).toBe(200);
        expect(await response.text()).toContain(marker);
        const usage = await onlyUsage(events);
        expect(usage.tokensEstimated).toBe(true);
        expect(usage.inputTokens).toBeGreaterThanOrEqual(
          UPSTREAM_PROMPT_TOKENS,
        );
        // The text, or the call's name and input (the prompt's first "words": this prompt has
        // no spaces, so all of it): counted, not 0.
        expect(usage.outputTokens).toBeGreaterThanOrEqual(4);
      } finally {
        await gateway.stop();
      }
    },
  );

  it.each([false, true])(
    'charges every one of n completions (stream: %s): as the upstream reports them, or all counted when it reports none',
    async stream => {
      const { gateway, url, events } = await start();
      simulator.catalog.update('us-large-model', { tokensPerSecond: 0 });
      try {
        const ask = async () => {
          const response = await post(url, '/v1/chat/completions', {
            ...chatBody('gpt-4o'),
            n: 3,
            stream,
            ...(stream ? { stream_options: { include_usage: true } } : {}),
          });
          expect(response.status).toBe(200);
          return response.text();
        };
        const reported = await ask();
        // Each completion of MAX_TOKENS words ("length"): the upstream bills three of them.
        expect(reported).toContain('"index":2');
        const billed = await onlyUsage(events);
        expect(billed).toMatchObject({
          tokensEstimated: false,
          outputTokens: 3 * MAX_TOKENS,
        });
        events.events.length = 0;
        simulator.catalog.update('us-large-model', { omitUsage: true });
        await ask();
        const counted = await onlyUsage(events);
        // The tokenizer's count of the three texts, each of MAX_TOKENS simulator words (a
        // word a token or more): never the first choice alone.
        expect(counted.tokensEstimated).toBe(true);
        expect(counted.outputTokens).toBeGreaterThanOrEqual(3 * MAX_TOKENS);
      } finally {
        await gateway.stop();
      }
    },
  );

  it.each([
    ['/v1/chat/completions', chatBody('gpt-4o')],
    ['/v1/responses', responsesBody],
    ['/v1/messages', chatBody('gpt-4o')],
  ])(
    'charges a %s JSON request its caller left while the upstream worked at least its prompt and its whole output',
    async (path, body) => {
      // The upstream answers after the caller has gone, with everything it generated.
      simulator.catalog.update('us-large-model', {
        ttftMs: 1_000,
        tokensPerSecond: 0,
      });
      const { gateway, url, events } = await start();
      try {
        const abort = new AbortController();
        const asked = simulator.stats.snapshot().requests;
        const pending = post(url, path, body, abort.signal).catch(e => e);
        // Left once the upstream works on it, not after a time a loaded machine may outlast.
        await eventually(() => simulator.stats.snapshot().requests > asked);
        abort.abort();
        // Left before the answer came (headers and body come together, after 1 s).
        expect(await pending).toMatchObject({ name: 'AbortError' });
        const usage = await onlyUsage(events);
        expect(usage.inputTokens).toBeGreaterThanOrEqual(
          UPSTREAM_PROMPT_TOKENS,
        );
        expect(usage.outputTokens).toBeGreaterThanOrEqual(MAX_TOKENS);
      } finally {
        await gateway.stop();
      }
    },
  );
});

describe('custom tool calls and long streams of an upstream that reports no usage', () => {
  /** About 160 tokens of SQL, the free-form input of one custom tool call. */
  const SQL =
    `SELECT id, name FROM customers WHERE region = 'eu-west-1' AND created_at > now() - interval '30 days' ORDER BY name; `.repeat(
      6,
    );
  let upstream: RawUpstream;
  let url: string;
  let gateway: Gateway;
  let events: RecordingEventSink;

  beforeAll(async () => {
    upstream = new RawUpstream();
    const upstreamUrl = await upstream.start();
    ({ gateway, url, events } = await startGateway(upstreamUrl, {
      state: testState(upstreamUrl),
    }));
  });
  afterEach(() => {
    events.events.length = 0;
  });
  afterAll(async () => {
    await gateway.stop();
    await upstream.stop();
  });

  const ask = (stream: boolean) =>
    postChat(
      url,
      {
        model: 'gpt-4o',
        max_tokens: 400,
        stream,
        messages: [{ role: 'user', content: 'list the new EU customers' }],
        tools: [{ type: 'custom', custom: { name: 'run_sql' } }],
        tool_choice: 'required',
      },
      { key: KEYS.brightpath },
    );

  it.each([false, true])(
    'charges the input of the call as output tokens (streamed: %s)',
    async stream => {
      upstream.answer = (_req, res) => {
        if (!stream) {
          answerWithoutUsage(res, [
            {
              index: 0,
              message: {
                role: 'assistant',
                content: null,
                tool_calls: [
                  {
                    id: 'call_1',
                    type: 'custom',
                    custom: { name: 'run_sql', input: SQL },
                  },
                ],
              },
              finish_reason: 'tool_calls',
            },
          ]);
          return;
        }
        const chunk = (delta: object, finish: string | null = null) =>
          `data: ${JSON.stringify({
            id: 'chatcmpl-1',
            object: 'chat.completion.chunk',
            created: 1,
            model: 'm',
            choices: [{ index: 0, delta, finish_reason: finish }],
          })}\n\n`;
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        const call = (custom: object, head = {}) => ({
          tool_calls: [{ index: 0, ...head, custom }],
        });
        res.write(
          chunk(
            call(
              { name: 'run_sql', input: '' },
              { id: 'call_1', type: 'custom' },
            ),
          ),
        );
        for (let at = 0; at < SQL.length; at += 50) {
          res.write(chunk(call({ input: SQL.slice(at, at + 50) })));
        }
        res.end(`${chunk({}, 'tool_calls')}data: [DONE]\n\n`);
      };
      const response = await ask(stream);
      const text = await response.text();
      expect({ status: response.status, text }).toEqual({
        status: 200,
        text: expect.stringContaining('run_sql'),
      });
      await eventually(() => events.usage().length === 1);
      const usage = events.usage()[0] as UsageEvent;
      expect(usage.tokensEstimated).toBe(true);
      // The tokenizer's count of the call: far more than its name, within the reservation.
      expect(usage.outputTokens).toBeGreaterThan(100);
      expect(usage.outputTokens).toBeLessThanOrEqual(400);
    },
  );

  // Before: the relay kept 1 MiB of a stream's events for the tokenizer and dropped the rest,
  // so everything past about 5,000 tokens was free (and an upstream writing `data:{`, no
  // space, was not counted at all).
  it('charges every token of a stream over a megabyte long, whatever its data lines are spaced', async () => {
    const WORDS = 20_000;
    upstream.answer = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      for (let i = 0; i < WORDS; i++) {
        const data = JSON.stringify({
          id: 'chatcmpl-1',
          object: 'chat.completion.chunk',
          created: 1,
          model: 'm',
          choices: [{ index: 0, delta: { content: ' word' } }],
        });
        res.write(i % 2 ? `data: ${data}\n\n` : `data:${data}\n\n`);
      }
      res.end(
        `data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\ndata: [DONE]\n\n`,
      );
    };
    const response = await postChat(
      url,
      {
        model: 'gpt-4o',
        stream: true,
        messages: [{ role: 'user', content: 'say word, many times' }],
      },
      { key: KEYS.brightpath },
    );
    const text = await response.text();
    expect(text.length).toBeGreaterThan(2 * 1024 * 1024);
    expect(text.split(' word').length - 1).toBe(WORDS);
    await eventually(() => events.usage().length === 1);
    const usage = events.usage()[0] as UsageEvent;
    expect(usage.tokensEstimated).toBe(true);
    // ' word' is one token to every tokenizer the profiles use.
    expect(usage.outputTokens).toBeGreaterThanOrEqual(WORDS);
  });
});

describe('a tight budget, an upstream that keeps to max_tokens and reports no usage', () => {
  // Before: our tokenizer's count of 128 one-token choices (511 o200k tokens, the lines
  // between them included) was charged though 128 were reserved, and 8 concurrent requests
  // spent 173% of the budget.
  it('is never overspent by concurrent requests', async () => {
    const upstream = new RawUpstream();
    upstream.answer = (_req, res) =>
      answerWithoutUsage(
        res,
        Array.from({ length: 128 }, (_, index) => ({
          index,
          message: { role: 'assistant', content: 'zxqv' },
          finish_reason: 'length',
        })),
      );
    const upstreamUrl = await upstream.start();
    const state = testState(upstreamUrl);
    const budget = 0.01;
    state.tenants[1].monthlyBudgetUsd = budget;
    const { gateway, url, events } = await startGateway(upstreamUrl, {
      state,
    });
    try {
      const statuses = await Promise.all(
        Array.from({ length: 8 }, async () => {
          const response = await postChat(
            url,
            {
              model: 'gpt-4o',
              n: 128,
              max_tokens: 1,
              messages: [{ role: 'user', content: 'one word each' }],
            },
            { key: KEYS.brightpath },
          );
          await response.arrayBuffer();
          return response.status;
        }),
      );
      // Each may cost ~$0.0017: some are served, the rest refused for the budget.
      expect(statuses.filter(status => status === 200).length).toBeGreaterThan(
        2,
      );
      expect(statuses.filter(status => status !== 200)).toEqual(
        statuses.filter(status => status === 429),
      );
      const usages = events.usage() as UsageEvent[];
      const charged = usages.reduce((sum, usage) => sum + usage.costUsd, 0);
      expect(charged).toBeLessThanOrEqual(budget);
      for (const usage of usages.filter(u => u.outputTokens > 0)) {
        expect(usage).toMatchObject({
          tokensEstimated: true,
          outputTokens: 128,
        });
      }
    } finally {
      await gateway.stop();
      await upstream.stop();
    }
  });
});
