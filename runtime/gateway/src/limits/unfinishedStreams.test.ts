/**
 * A stream served by an Anthropic upstream that its caller abandons mid-way, or that the
 * upstream cuts off, is charged the prompt the upstream counted in `message_start` (and
 * bills), not the gateway's tokenizer's count of it: for the scripts a tokenizer counts low
 * (CJK, emoji, control characters) that was a fraction, and a tenant that abandoned its
 * streams spent far past its budget.
 *
 * The upstream is the real simulator acting as Anthropic, counting a prompt token per UTF-8
 * byte (plus three a message): the budget tests' own adversary (`anyInput.test.ts`).
 */
import type { SimulatorServer } from '@cellport/simulator';
import type { UsageEvent } from '@cellport/plugin-platform-common';
import {
  eventually,
  KEYS,
  startGateway,
  startSimulator,
  streamThenLeave,
  testState,
} from '../__testUtils__/fixtures';
import { InMemoryLimiter } from '../limits/InMemoryLimiter';
import { promptTokenBound } from '../limits/promptTokenBound';
import { maxRequestCostUsd } from '../usage/cost';

jest.setTimeout(60_000);

/** The fixture's Anthropic profile (`claude`, alias `claude-haiku`): $0.80 / $4 per million. */
const UPSTREAM_MODEL = 'claude-model';
const PRICE = { input: 0.8e-6, output: 4e-6 };
/** About 2 KB of CJK: 3 UTF-8 bytes a character, about one o200k token for one or two. */
const PROMPT = '預算必須對任何輸入都成立，無論是哪種文字。'.repeat(33);
const MAX_TOKENS = 20;
const utf8 = (text: string) => Buffer.byteLength(text, 'utf8');
/** What the simulator reports (and bills) for the prompt: a token a byte, three a message. */
const UPSTREAM_PROMPT_TOKENS = utf8(PROMPT) + 3;

const messagesBody = {
  model: 'claude-haiku',
  max_tokens: MAX_TOKENS,
  stream: true,
  messages: [{ role: 'user', content: PROMPT }],
};
const chatBody = {
  model: 'claude-haiku',
  max_tokens: MAX_TOKENS,
  stream: true,
  messages: [{ role: 'user', content: PROMPT }],
};

describe('budgets of unfinished Anthropic streams', () => {
  let simulator: SimulatorServer;
  beforeAll(async () => {
    simulator = await startSimulator();
    // Slow enough that the caller leaves long before the answer's end.
    simulator.catalog.update(UPSTREAM_MODEL, {
      promptTokens: 'utf8-bytes',
      tokensPerSecond: 4,
      ttftMs: 0,
    });
  });
  afterAll(() => simulator.stop());

  function state(budgetUsd: number) {
    const s = testState(
      simulator.url,
      `unfinished-${Math.random().toString(36).slice(2, 8)}`,
    );
    s.tenants[1].monthlyBudgetUsd = budgetUsd;
    return s;
  }

  it.each([
    ['/v1/messages', messagesBody, 'content_block_delta'],
    ['/v1/chat/completions', chatBody, '"content":"'],
  ])(
    'charges an abandoned %s stream at least the prompt tokens the Anthropic upstream reported',
    async (path, body, marker) => {
      const { gateway, url, events } = await startGateway(simulator.url, {
        state: state(50),
        overrides: { limiter: new InMemoryLimiter() },
      });
      try {
        expect(await streamThenLeave(url, path, body, marker)).toBe(200);
        await eventually(() => events.usage().length === 1);
        const [usage] = events.usage() as UsageEvent[];
        expect(usage.modelProfile).toBe('claude');
        // The upstream said so in message_start, and bills it whether or not the caller stays.
        expect(usage.inputTokens).toBeGreaterThanOrEqual(
          UPSTREAM_PROMPT_TOKENS,
        );
      } finally {
        await gateway.stop();
      }
    },
  );

  it('charges a stream the Anthropic upstream broke off at least the prompt tokens it reported', async () => {
    const { gateway, url, events } = await startGateway(simulator.url, {
      state: state(50),
      overrides: { limiter: new InMemoryLimiter() },
    });
    simulator.catalog.update(UPSTREAM_MODEL, { tokensPerSecond: 0 });
    simulator.faults.add({
      mode: 'cut',
      model: UPSTREAM_MODEL,
      extraLatencyMs: 0,
      retryAfterSeconds: 1,
    });
    try {
      const response = await fetch(`${url}/v1/messages`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${KEYS.brightpath}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify(messagesBody),
      });
      expect(response.status).toBe(200);
      // The caller reads to the end: an error event closes the broken stream.
      expect(await response.text()).toContain('error');
      await eventually(() => events.usage().length === 1);
      const [usage] = events.usage() as UsageEvent[];
      expect(usage.modelProfile).toBe('claude');
      expect(usage.inputTokens).toBeGreaterThanOrEqual(UPSTREAM_PROMPT_TOKENS);
    } finally {
      simulator.faults.clear();
      simulator.catalog.update(UPSTREAM_MODEL, { tokensPerSecond: 4 });
      await gateway.stop();
    }
  });

  it('keeps what abandoned /v1/messages streams cost within the budget plus one request', async () => {
    const claude = testState(simulator.url).modelProfiles.find(
      p => p.id === 'claude',
    )!;
    // What the gateway reserves for one request: its body's bytes, and every output token.
    const oneRequestUsd = maxRequestCostUsd(
      claude,
      promptTokenBound(Buffer.from(JSON.stringify(messagesBody))),
      MAX_TOKENS,
    );
    const budget = 3 * oneRequestUsd;
    const { gateway, url, events } = await startGateway(simulator.url, {
      state: state(budget),
      overrides: { limiter: new InMemoryLimiter() },
    });
    try {
      const statuses: number[] = [];
      const settled = (count: number) => () => events.usage().length === count;
      for (let i = 0; i < 15; i++) {
        const status = await streamThenLeave(
          url,
          '/v1/messages',
          messagesBody,
          'content_block_delta',
        );
        statuses.push(status);
        if (status !== 200) break;
        // Each settles before the next is sent, as a careful client would see it.
        await eventually(settled(statuses.length));
      }
      const served = statuses.filter(status => status === 200).length;
      // Served until the budget refused.
      expect(statuses.slice(served)).toEqual([429]);
      // What the upstream billed: at least the prompt it reported for each request served.
      const upstreamCostUsd = served * UPSTREAM_PROMPT_TOKENS * PRICE.input;
      const charged = (events.usage() as UsageEvent[]).reduce(
        (sum, e) => sum + e.costUsd,
        0,
      );
      expect(charged).toBeGreaterThanOrEqual(upstreamCostUsd);
      expect(upstreamCostUsd).toBeLessThanOrEqual(budget + oneRequestUsd);
    } finally {
      await gateway.stop();
    }
  });
});
