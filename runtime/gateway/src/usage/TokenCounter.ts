/**
 * Characters the tokenizer reads at once. Byte-pair encoding is quadratic in the length of a
 * run without spaces (400,000 `=` took 70 s): pieces keep every run short, at the cost of about
 * one token more per piece.
 */
const PIECE_CHARS = 512;

/**
 * Characters the tokenizer reads for one count at most (about 25 ms for the slowest text,
 * random base64), so a 1 MiB answer cannot hold the event loop. A longer text is read in
 * pieces taken across all of it, each at a random place in its stretch, and counted at the
 * rate per UTF-8 byte found in them: text that turns denser after its start (English, then
 * CJK) is counted at its own rate, not its start's. Per byte, not per character: a token is at
 * least a byte, so a count is never more than the text's bytes, the bound its reservation
 * holds, however dense the pieces read (a character outside the vocabulary is 3 tokens).
 */
export const MAX_TOKENIZED_CHARS = 128 * 1024;

/**
 * Words the tokenizer keeps the encoding of (its default is 100,000). Each cached word is
 * a slice of the piece it came from, and keeps that piece in memory: at most this many
 * pieces of PIECE_CHARS, about 10 MB, whatever callers send.
 */
const CACHED_WORDS = 10_000;

type Encoder = (text: string) => number;

/**
 * A copy of `text.slice(start, end)` that holds no reference to `text`. V8 makes a longer
 * slice a view of its parent string, and the tokenizer's cache would then keep a caller's
 * whole prompt alive after its request ended.
 */
function detachedSlice(text: string, start: number, end: number): string {
  // Slicing a concatenation copies it into a string of its own first.
  return ` ${text.slice(start, end)}`.slice(1);
}

/**
 * Where the piece from `at` ends, at most `limit`: after a space in its second half, where
 * the tokenizer would split anyway, else not inside a surrogate pair.
 */
function pieceEnd(text: string, at: number, limit: number): number {
  if (limit >= text.length) return limit;
  const space = text.lastIndexOf(' ', limit - 1);
  if (space >= at + PIECE_CHARS / 2) return space;
  // Never an empty piece: the loop would never end.
  const code = text.charCodeAt(limit - 1);
  return code >= 0xd800 && code <= 0xdbff && limit - 1 > at ? limit - 1 : limit;
}

/**
 * Counts tokens with gpt-tokenizer (o200k_base, GPT-4o's encoding) when an upstream reports no
 * usage. The encoder is loaded on first use: it is large, and most upstreams report usage.
 */
export class TokenCounter {
  constructor(private countTokens?: Encoder) {}

  count(text: string): number {
    if (text.length === 0) return 0;
    if (text.length <= MAX_TOKENIZED_CHARS) {
      return this.countStretch(text, 0, text.length).tokens;
    }
    // Pieces from every stretch of the text, at a random place in each.
    const stretches = Math.floor(MAX_TOKENIZED_CHARS / PIECE_CHARS);
    let tokens = 0;
    let readBytes = 0;
    for (let i = 0; i < stretches; i++) {
      const from = Math.floor((i * text.length) / stretches);
      const to = Math.floor(((i + 1) * text.length) / stretches);
      const length = Math.min(PIECE_CHARS, to - from);
      let at = from + Math.floor(Math.random() * (to - from - length + 1));
      // Not from the second half of a surrogate pair.
      const code = text.charCodeAt(at);
      if (code >= 0xdc00 && code <= 0xdfff && at + 1 < to) at += 1;
      const read = this.countStretch(text, at, Math.min(to, at + length));
      tokens += read.tokens;
      readBytes += read.bytes;
    }
    const bytes = Buffer.byteLength(text);
    return Math.min(bytes, Math.ceil((tokens / readBytes) * bytes));
  }

  /** Tokens and UTF-8 bytes of `text` from `from` to `end`, read in pieces. */
  private countStretch(
    text: string,
    from: number,
    end: number,
  ): { tokens: number; bytes: number } {
    const encode = this.encoder();
    let tokens = 0;
    let bytes = 0;
    let at = from;
    while (at < end) {
      const pieceStop = pieceEnd(text, at, Math.min(end, at + PIECE_CHARS));
      const piece = detachedSlice(text, at, pieceStop);
      tokens += encode(piece);
      bytes += Buffer.byteLength(piece);
      at = pieceStop;
    }
    return { tokens, bytes };
  }

  private encoder(): Encoder {
    if (!this.countTokens) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const tokenizer = require('gpt-tokenizer');
      tokenizer.setMergeCacheSize(CACHED_WORDS);
      this.countTokens = tokenizer.countTokens as Encoder;
    }
    return this.countTokens;
  }
}
