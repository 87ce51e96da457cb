import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { MAX_TOKENIZED_CHARS, TokenCounter } from './TokenCounter';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Heap memory of this process after full collections. */
function heldBytes(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const realCount: (text: string) => number =
  require('gpt-tokenizer').countTokens;

/** The real tokenizer, noting the longest text it was given and how much it read. */
function watchedTokenizer() {
  const seen = { longest: 0, read: 0 };
  const counter = new TokenCounter(text => {
    seen.longest = Math.max(seen.longest, text.length);
    seen.read += text.length;
    return realCount(text);
  });
  return { counter, seen };
}

describe('TokenCounter', () => {
  it.each([
    ['a run with no spaces', '='.repeat(400_000)],
    ['one long word', 'a'.repeat(1_000_000)],
    ['base64', Buffer.alloc(300_000, 'Zürich 東京 😀').toString('base64')],
    // The bound falls inside an emoji: the last piece is one unit long, never empty.
    ['an emoji at the bound', `${'a'.repeat(MAX_TOKENIZED_CHARS - 1)}😀 tail`],
  ])(
    'reads %s in short pieces and a bounded amount of it (byte-pair encoding is quadratic in a run)',
    (_what, text) => {
      const { counter, seen } = watchedTokenizer();
      const tokens = counter.count(text);
      expect(seen.longest).toBeLessThanOrEqual(512);
      // A piece may start a unit later, past the second half of a surrogate pair.
      expect(seen.read).toBeLessThanOrEqual(MAX_TOKENIZED_CHARS);
      expect(seen.read).toBeGreaterThan(MAX_TOKENIZED_CHARS - 256);
      // The rest is counted at the rate per byte the pieces read had (all but one byte each).
      const rate = realCount(text.slice(0, 512)) / 512;
      expect(tokens / text.length).toBeCloseTo(rate, 2);
    },
  );

  it('never counts more tokens than bytes, however dense the text it reads before the rest', () => {
    // 3 tokens a character at first (outside the vocabulary), then many letters a token.
    const text = `${'\u3400'.repeat(MAX_TOKENIZED_CHARS)}${'a'.repeat(
      600_000,
    )}`;
    const { counter } = watchedTokenizer();
    expect(counter.count(text)).toBeLessThanOrEqual(Buffer.byteLength(text));
  });

  // Before: only the first 128K characters were read, and the rest counted at their rate, so
  // an answer that turned denser after them was charged a fraction of its tokens.
  it('counts text that turns denser after its start at the rate of all of it', () => {
    // About a token for four bytes, then about one a byte (characters outside the vocabulary).
    const english =
      'The cat sat on the mat, and the dog lay by the door. '.repeat(4_000);
    const rare = '\u3400\u3401\u3402 \u3403\u3404 '.repeat(30_000);
    const whole = realCount(english) + realCount(rare);
    const { counter, seen } = watchedTokenizer();
    const counted = counter.count(`${english}${rare}`);
    expect(seen.read).toBeLessThanOrEqual(MAX_TOKENIZED_CHARS);
    expect(counted).toBeGreaterThan(0.95 * whole);
    expect(counted).toBeLessThan(1.1 * whole);
  });

  it('counts ordinary text as the tokenizer does, within a token or so a piece', () => {
    const prose =
      'The quick brown fox jumps over the lazy dog in Zürich, 東京 and São Paulo. 😀 '.repeat(
        1200,
      );
    const { counter } = watchedTokenizer();
    const whole = realCount(prose);
    const counted = counter.count(prose);
    expect(counted).toBeGreaterThanOrEqual(whole);
    expect(counted).toBeLessThanOrEqual(whole * 1.01);
  });

  it("keeps no counted text alive afterwards (the tokenizer's cache holds its words)", () => {
    const counter = new TokenCounter();
    counter.count('warm up the encoder');
    const before = heldBytes();
    for (let i = 0; i < 60; i++) {
      // A word of its own in each text (letters: digits split words), half a megabyte after it.
      const word = `${'q'.repeat(14)}${String.fromCharCode(
        97 + (i % 26),
        97 + i / 26,
      )}`;
      counter.count(`${word} ${'é'.repeat(500_000)}`);
    }
    // Before: each text's unique word, cached as a slice of the text, kept all 30 MB.
    expect(heldBytes() - before).toBeLessThan(15 * 1024 * 1024);
  });
});
