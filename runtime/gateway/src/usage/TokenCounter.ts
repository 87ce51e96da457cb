/**
 * Counts tokens with gpt-tokenizer (o200k_base, GPT-4o's encoding) when an upstream reports no
 * usage. The encoder is loaded on first use: it is large, and most upstreams report usage.
 */
export class TokenCounter {
  private countTokens?: (text: string) => number;

  count(text: string): number {
    if (text.length === 0) {
      return 0;
    }
    if (!this.countTokens) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      this.countTokens = require('gpt-tokenizer').countTokens as (
        text: string,
      ) => number;
    }
    return this.countTokens(text);
  }

  /** Prompt tokens of chat messages: their text plus OpenAI's per-message overhead. */
  countMessages(texts: string[]): number {
    let total = 3;
    for (const text of texts) {
      total += this.count(text) + 4;
    }
    return total;
  }
}
