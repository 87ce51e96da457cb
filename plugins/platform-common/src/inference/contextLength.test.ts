import { checkContextLength } from './contextLength';

describe('checkContextLength', () => {
  it("refuses a context longer than the model's, naming both", () => {
    const check = checkContextLength({
      model: 'Qwen/Qwen2.5-7B-Instruct',
      maxContextLength: 65536,
    });
    expect(check.verdict).toBe('too-long');
    expect(check.message).toBe(
      'maxContextLength: 65,536 tokens is more than Qwen2.5 7B Instruct supports (32,768 tokens): lower it to 32,768 or less.',
    );
  });

  it("accepts the model's own maximum", () => {
    expect(
      checkContextLength({
        model: 'meta-llama/llama-3.1-8b-instruct',
        maxContextLength: 131072,
      }).verdict,
    ).toBe('ok');
  });

  it('checks an unknown model against the maximum it is given, or says it cannot', () => {
    expect(
      checkContextLength({
        model: 'acme/private-70b',
        maxContextLength: 65536,
        modelMaxContextLength: 32768,
      }).verdict,
    ).toBe('too-long');
    const unchecked = checkContextLength({
      model: 'acme/private-70b',
      maxContextLength: 65536,
    });
    expect(unchecked.verdict).toBe('unchecked');
    expect(unchecked.message).toBe(
      'The max context of 65,536 tokens is not checked: acme/private-70b is not a known model and its maximum context length was not given.',
    );
  });

  it('a known model keeps its own maximum, whatever the caller claims', () => {
    expect(
      checkContextLength({
        model: 'google/gemma-2-27b-it',
        maxContextLength: 16384,
        modelMaxContextLength: 1e9,
      }).verdict,
    ).toBe('too-long');
  });
});
