import { chatUsage } from './anthropicTranslation';
import { extractOpenAiUsage, openAiUsageOf } from './extractUsage';

describe('the usage an upstream reports', () => {
  it('keeps the cached prompt and reasoning tokens OpenAI details', () => {
    const usage = {
      prompt_tokens: 120,
      completion_tokens: 40,
      prompt_tokens_details: { cached_tokens: 100 },
      completion_tokens_details: { reasoning_tokens: 32 },
    };
    const expected = {
      inputTokens: 120,
      outputTokens: 40,
      cachedInputTokens: 100,
      reasoningTokens: 32,
    };
    expect(openAiUsageOf(usage)).toEqual(expected);
    expect(
      extractOpenAiUsage(`{"choices":[],"usage":${JSON.stringify(usage)}}`),
    ).toEqual(expected);
  });

  it.each([
    ['negative', -1],
    ['above the total', 500],
    ['a string', '100'],
    ['zero', 0],
  ])('leaves out a detail that is %s', (_what, count) => {
    expect(
      openAiUsageOf({
        prompt_tokens: 120,
        completion_tokens: 40,
        prompt_tokens_details: { cached_tokens: count },
        completion_tokens_details: { reasoning_tokens: count },
      }),
    ).toEqual({ inputTokens: 120, outputTokens: 40 });
  });

  it.each([
    ['negative', -5, 3],
    ['fractional', 1.5, 3],
    ['a string', 10, 'abc'],
    ['beyond what an event holds', 1e20, 3],
    ['just beyond what an event holds', 10, 2 ** 31],
  ])('trusts no usage whose count is %s', (_what, input, output) => {
    expect(
      openAiUsageOf({ prompt_tokens: input, completion_tokens: output }),
    ).toBeUndefined();
  });

  it("counts Anthropic's prompt-cache reads and writes as prompt tokens, reads as cached", () => {
    const chat = chatUsage(
      {
        input_tokens: 20,
        cache_read_input_tokens: 900,
        cache_creation_input_tokens: 80,
      },
      50,
    );
    expect(openAiUsageOf(chat)).toEqual({
      inputTokens: 1000,
      outputTokens: 50,
      cachedInputTokens: 900,
    });
    expect(chat.total_tokens).toBe(1050);
  });

  it('trusts no Anthropic usage whose input count is negative, whatever the cache counts', () => {
    expect(
      openAiUsageOf(
        chatUsage({ input_tokens: -1000, cache_read_input_tokens: 1500 }, 5),
      ),
    ).toBeUndefined();
  });
});
