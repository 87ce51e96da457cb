import { embedText, generateText } from './DeterministicText';

describe('generateText', () => {
  it('is the same for the same seed and prompt, and differs across seeds', () => {
    const a = generateText({ seed: 1, prompt: 'hello' });
    expect(generateText({ seed: 1, prompt: 'hello' })).toEqual(a);
    expect(generateText({ seed: 2, prompt: 'hello' }).tokens).not.toEqual(
      a.tokens,
    );
  });

  it('cuts at maxTokens', () => {
    const cut = generateText({ seed: 1, prompt: 'hello', maxTokens: 2 });
    expect(cut.tokens).toHaveLength(2);
    expect(cut.finishReason).toBe('length');
  });

  it('embeds to unit vectors', () => {
    expect(Math.hypot(...embedText('x', 16, 3))).toBeCloseTo(1, 6);
  });
});
