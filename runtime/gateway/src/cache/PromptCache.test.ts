import { PromptCache } from './PromptCache';

describe('PromptCache', () => {
  const answer = (n: number) => ({
    body: Buffer.from(String(n)),
    usage: { inputTokens: 1, outputTokens: 1 },
    modelProfile: 'p',
    provider: 'simulator',
  });

  it('keys per tenant, expires entries and evicts the least recently used', () => {
    let now = 0;
    const cache = new PromptCache({ ttlSeconds: 10, maxEntries: 2 }, () => now);
    const body = Buffer.from('{"model":"m"}');
    expect(PromptCache.key('a', 'v', body)).not.toBe(
      PromptCache.key('b', 'v', body),
    );
    cache.set('k1', answer(1));
    cache.set('k2', answer(2));
    cache.get('k1');
    cache.set('k3', answer(3));
    expect(cache.get('k2')).toBeUndefined();
    expect(cache.get('k1')?.body.toString()).toBe('1');
    now = 10_000;
    expect(cache.get('k1')).toBeUndefined();
  });
});
