/**
 * Characters the tokenizer reads at once. Byte-pair encoding is quadratic in the length of a
 * run without spaces (400,000 `=` took 70 s): pieces keep every run short, at the cost of about
 * one token more per piece.
 */
const PIECE_CHARS = 512;

/**
 * Characters the tokenizer reads for one count at most (about 25 ms for the slowest text,
 * random base64); the rest is counted at the rate per UTF-8 byte the tokenizer found, so a
 * 1 MiB prompt cannot hold the event loop. Per byte, not per character: a token is at least a
 * byte, so the rest never counts more than its bytes, the bound its reservation holds, however
 * dense the text read first (a character outside the tokenizer's vocabulary is 3 tokens).
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
    return text.length === 0 ? 0 : this.countAll([text]);
  }

  private countAll(texts: string[]): number {
    const encode = this.encoder();
    let tokens = 0;
    let read = 0;
    let readBytes = 0;
    let restBytes = 0;
    for (const text of texts) {
      let at = 0;
      while (at < text.length && read < MAX_TOKENIZED_CHARS) {
        const end = pieceEnd(
          text,
          at,
          Math.min(
            text.length,
            at + PIECE_CHARS,
            at + MAX_TOKENIZED_CHARS - read,
          ),
        );
        const piece = detachedSlice(text, at, end);
        tokens += encode(piece);
        readBytes += Buffer.byteLength(piece);
        read += end - at;
        at = end;
      }
      if (at < text.length) restBytes += Buffer.byteLength(text.slice(at));
    }
    return restBytes > 0 && readBytes > 0
      ? tokens + Math.ceil((tokens / readBytes) * restBytes)
      : tokens;
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
