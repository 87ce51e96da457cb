import { retryAfterSeconds } from './retryAfter';

describe('retryAfterSeconds', () => {
  const now = Date.parse('2026-12-06T10:00:00Z');

  it('reads delta-seconds and HTTP dates, rounded up', () => {
    expect(retryAfterSeconds('120', now)).toBe(120);
    expect(retryAfterSeconds(' 0 ', now)).toBe(0);
    expect(retryAfterSeconds('Sun, 06 Dec 2026 10:00:30 GMT', now)).toBe(30);
    expect(retryAfterSeconds('Sun, 06 Dec 2026 09:00:00 GMT', now)).toBe(0);
    expect(retryAfterSeconds(['7', '9'], now)).toBe(7);
  });

  it('leaves out what is absent, garbage or beyond a day', () => {
    for (const header of [
      undefined,
      '',
      'soon',
      '1.5',
      '-3',
      '2026-12-06',
      '99999999999',
      '86401',
    ]) {
      expect(retryAfterSeconds(header, now)).toBeUndefined();
    }
    expect(retryAfterSeconds('86400', now)).toBe(86_400);
  });
});
