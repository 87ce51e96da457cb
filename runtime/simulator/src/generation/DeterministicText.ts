/**
 * Produces the same "completion" for the same seed and prompt, so tests and demos are
 * repeatable. One generated word is one token: the simulator's own usage figures are exact.
 */
const VOCABULARY = [
  'the',
  'cell',
  'routes',
  'each',
  'request',
  'to',
  'a',
  'model',
  'within',
  'its',
  'tenant',
  'budget',
  'and',
  'region',
  'agents',
  'call',
  'tools',
  'while',
  'gateway',
  'keeps',
  'latency',
  'low',
  'for',
  'every',
  'token',
  'streamed',
  'back',
  'portal',
  'shows',
  'cost',
  'of',
  'routing',
];

/** FNV-1a, 32 bit: a fast, stable string hash. */
export function hashString(text: string, seed = 0x811c9dc5): number {
  let hash = seed >>> 0;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/** mulberry32: a tiny seeded PRNG returning floats in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Counts prompt tokens the way the simulator bills them: about four characters a token (or,
 * `utf8-bytes`, one per UTF-8 byte: a byte-level tokenizer's worst case) plus a small
 * per-message overhead, as OpenAI's chat format adds.
 */
export function countPromptTokens(
  texts: string[],
  counting: 'approximate' | 'utf8-bytes' = 'approximate',
): number {
  let tokens = 0;
  for (const text of texts) {
    tokens +=
      (counting === 'utf8-bytes'
        ? Buffer.byteLength(text, 'utf8')
        : Math.ceil(text.length / 4)) + 3;
  }
  return Math.max(1, tokens);
}

export interface GeneratedText {
  tokens: string[];
  /** `length` when generation stopped at max_tokens, `stop` otherwise. */
  finishReason: 'stop' | 'length';
}

/**
 * Generates the completion for a prompt: its natural length is 8–64 tokens, drawn from the
 * seed, cut at `maxTokens`; with `fill`, exactly `maxTokens`.
 */
export function generateText(options: {
  seed: number;
  prompt: string;
  maxTokens?: number;
  fill?: boolean;
}): GeneratedText {
  const random = seededRandom(hashString(options.prompt, options.seed));
  const natural = 8 + Math.floor(random() * 57);
  const limit = options.maxTokens ?? Infinity;
  const count =
    options.fill && Number.isFinite(limit) ? limit : Math.min(natural, limit);
  const tokens: string[] = [];
  for (let i = 0; i < count; i++) {
    const word = VOCABULARY[Math.floor(random() * VOCABULARY.length)];
    tokens.push(i === 0 ? word : ` ${word}`);
  }
  return { tokens, finishReason: natural > limit ? 'length' : 'stop' };
}

/** A deterministic unit-length embedding of `text` with `dimensions` entries. */
export function embedText(
  text: string,
  dimensions: number,
  seed: number,
): number[] {
  const random = seededRandom(hashString(text, seed));
  const vector: number[] = [];
  let norm = 0;
  for (let i = 0; i < dimensions; i++) {
    const value = random() * 2 - 1;
    vector.push(value);
    norm += value * value;
  }
  const scale = 1 / Math.sqrt(norm || 1);
  return vector.map(value => value * scale);
}
