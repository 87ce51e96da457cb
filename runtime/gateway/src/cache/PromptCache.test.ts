import { PromptCache } from './PromptCache';

describe('PromptCache', () => {
  const answer = (n: number, bodyBytes = 1) => ({
    body: Buffer.alloc(bodyBytes, String(n % 10)),
    usage: { inputTokens: 1, outputTokens: 1 },
    modelProfile: 'p',
    provider: 'simulator',
  });
  /** An entry's bytes as the cache counts them, for a body of `bodyBytes`. */
  const entryBytes = (bodyBytes: number) => {
    const probe = new PromptCache({ ttlSeconds: 10, maxBytes: 1 << 30 });
    probe.set('k', answer(0, bodyBytes));
    return probe.bytes;
  };

  it('keys per tenant and API, expires entries and evicts the least recently used', () => {
    let now = 0;
    const cache = new PromptCache(
      { ttlSeconds: 10, maxBytes: 10 * entryBytes(1) },
      () => now,
    );
    const body = Buffer.from('{"model":"m"}');
    expect(PromptCache.key('a', 'v', 'chat', body)).not.toBe(
      PromptCache.key('b', 'v', 'chat', body),
    );
    // The same bytes sent to two APIs ask for answers of two shapes.
    expect(PromptCache.key('a', 'v', 'chat', body)).not.toBe(
      PromptCache.key('a', 'v', 'messages', body),
    );
    // Room for exactly ten one-byte answers.
    for (let i = 0; i < 10; i++) cache.set(`k${i}`, answer(i));
    expect(cache.size).toBe(10);
    cache.get('k0');
    cache.set('k10', answer(10));
    expect(cache.get('k1')).toBeUndefined();
    expect(cache.get('k0')?.body.toString()).toBe('0');
    now = 10_000;
    expect(cache.get('k0')).toBeUndefined();
  });

  it('is capped by bytes, not by entries: large answers take the room of many small ones', () => {
    const maxBytes = 1024 * 1024;
    const cache = new PromptCache({ ttlSeconds: 60, maxBytes });
    for (let i = 0; i < 100; i++) cache.set(`big${i}`, answer(i, 100_000));
    expect(cache.bytes).toBeLessThanOrEqual(maxBytes);
    // 100 kB answers: at most ten fit in 1 MiB, and the newest are the ones kept.
    expect(cache.size).toBeLessThanOrEqual(10);
    expect(cache.size).toBeGreaterThan(5);
    expect(cache.get('big99')).toBeDefined();
    expect(cache.get('big0')).toBeUndefined();
    // Replacing an entry does not count its bytes twice.
    const before = cache.bytes;
    cache.set('big99', answer(99, 100_000));
    expect(cache.bytes).toBe(before);
  });

  it('does not keep an answer larger than an eighth of the cap', () => {
    const cache = new PromptCache({ ttlSeconds: 60, maxBytes: 80_000 });
    cache.set('small', answer(1, 100));
    cache.set('huge', answer(2, 20_000));
    expect(cache.get('huge')).toBeUndefined();
    expect(cache.get('small')).toBeDefined();
  });
});
