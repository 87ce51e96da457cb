import { compileState } from '../state/CompiledState';
import { KEYS, testState } from '../__testUtils__/fixtures';
import { ApiKeyAuthenticator, hashApiKey } from './ApiKeyAuthenticator';

describe('ApiKeyAuthenticator', () => {
  const state = compileState(testState('http://x'));

  it('stores and matches keys only by SHA-256', () => {
    expect(hashApiKey('abc')).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
    expect(JSON.stringify(state.document)).not.toContain(KEYS.northwind);
    const principal = new ApiKeyAuthenticator().authenticate(
      state,
      KEYS.northwindAgent,
    );
    expect(principal.tenant.id).toBe('northwind');
    expect(principal.agent?.id).toBe('nw-assistant');
  });

  it('accepts a rotated-out key until it expires, then refuses it', () => {
    const before = new ApiKeyAuthenticator(() =>
      Date.parse('2029-12-31T23:59:59Z'),
    );
    const after = new ApiKeyAuthenticator(() =>
      Date.parse('2030-01-01T00:00:00Z'),
    );
    expect(before.authenticate(state, KEYS.brightpathOld).tenant.id).toBe(
      'brightpath',
    );
    expect(() => after.authenticate(state, KEYS.brightpathOld)).toThrow(
      expect.objectContaining({ status: 401 }),
    );
    expect(after.authenticate(state, KEYS.brightpath).tenant.id).toBe(
      'brightpath',
    );
  });

  it('refuses missing and unknown keys with 401', () => {
    const auth = new ApiKeyAuthenticator();
    expect(() => auth.authenticate(state, undefined)).toThrow(
      expect.objectContaining({ status: 401 }),
    );
    expect(() => auth.authenticate(state, 'nope')).toThrow(
      expect.objectContaining({ status: 401, code: 'invalid_api_key' }),
    );
  });
});
