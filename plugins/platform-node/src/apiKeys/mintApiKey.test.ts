import { API_KEY_PREFIX_LENGTH, hashApiKey, mintApiKey } from './mintApiKey';

describe('mintApiKey', () => {
  it('makes a new random key each time, kept only as its hash and prefix', () => {
    const a = mintApiKey();
    const b = mintApiKey();
    expect(a.apiKey).toMatch(/^cpk_[A-Za-z0-9_-]{32}$/);
    expect(a.apiKey).not.toBe(b.apiKey);
    expect(a.sha256).toBe(hashApiKey(a.apiKey));
    expect(a.sha256).toMatch(/^[a-f0-9]{64}$/);
    expect(a.prefix).toBe(a.apiKey.slice(0, API_KEY_PREFIX_LENGTH));
  });
});
