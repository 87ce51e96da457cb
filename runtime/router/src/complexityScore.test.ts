import { complexityScore } from './complexityScore';

describe('complexityScore', () => {
  it('scores small talk low and a long coding request with tools high', () => {
    const low = complexityScore({
      promptChars: 12,
      messageCount: 1,
      toolCount: 0,
      lastUserText: 'hi, thanks!',
    });
    const high = complexityScore({
      promptChars: 20_000,
      messageCount: 12,
      toolCount: 3,
      lastUserText:
        'Debug this stack trace step by step and refactor the function: ```ts\nconst x = 1\n```',
    });
    expect(low).toBeLessThan(0.2);
    expect(high).toBeGreaterThan(0.7);
    expect(high).toBeLessThanOrEqual(1);
    expect(low).toBeGreaterThanOrEqual(0);
  });
});
