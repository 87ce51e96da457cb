import { createHash } from 'node:crypto';
import {
  API_KEYS_ANNOTATION,
  parseApiKeysAnnotation,
} from './apiKeysAnnotation';

const sha256 = createHash('sha256').update('cpk_secret').digest('hex');

describe('parseApiKeysAnnotation', () => {
  it('reads the keys the scaffolder writes', () => {
    const value = JSON.stringify([
      { sha256, prefix: 'cpk_abcdef' },
      { sha256, prefix: 'cpk_123456', agent: 'fraud-triage' },
    ]);
    expect(parseApiKeysAnnotation(value)).toEqual({
      ok: true,
      keys: [
        { sha256, prefix: 'cpk_abcdef' },
        { sha256, prefix: 'cpk_123456', agent: 'fraud-triage' },
      ],
    });
  });

  it('reads no annotation as no keys', () => {
    expect(parseApiKeysAnnotation(undefined)).toEqual({ ok: true, keys: [] });
  });

  it('names what is wrong', () => {
    expect(parseApiKeysAnnotation('{oops')).toEqual({
      ok: false,
      error: `${API_KEYS_ANNOTATION} is not JSON`,
    });
    const bad = parseApiKeysAnnotation(
      JSON.stringify([{ sha256: 'not-a-hash', prefix: 'cpk_abcdef' }]),
    );
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.error).toMatch(/\[0\]\.sha256/);
  });
});
