import { profileFeatures } from './modelProfile';
import { formatValidationIssues, validatePlatformEntity } from './registry';

const profile = (spec: Record<string, unknown> = {}) => ({
  apiVersion: 'cellport.dev/v1alpha1',
  kind: 'ModelProfile',
  metadata: { name: 'text-embedding-3-small' },
  spec: {
    owner: 'group:ai-gateway-team',
    provider: 'openai',
    model: 'text-embedding-3-small',
    endpoint: 'https://api.openai.com/v1',
    region: 'us-east-1',
    qualityTier: 'economy',
    capabilities: { contextLength: 8191, maxOutputTokens: 1 },
    pricing: { inputPerMillionUsd: 0.02, outputPerMillionUsd: 0 },
    maxClassification: 'INTERNAL',
    dataRetention: { days: 0, usedForTraining: false },
    ...spec,
  },
});

describe('ModelProfile type', () => {
  it('is chat unless the profile says embeddings', () => {
    const chat = validatePlatformEntity('ModelProfile', profile());
    expect(chat.ok && chat.entity.spec.type).toBe('chat');
    const embeddings = validatePlatformEntity(
      'ModelProfile',
      profile({ type: 'embeddings' }),
    );
    expect(embeddings.ok && embeddings.entity.spec.type).toBe('embeddings');
  });

  it('names the bad field', () => {
    const result = validatePlatformEntity(
      'ModelProfile',
      profile({ type: 'completion' }),
    );
    expect(result.ok ? '' : formatValidationIssues(result.issues)).toMatch(
      /^spec\.type: expected one of chat \| embeddings/,
    );
  });

  it.each([
    [
      'a model id with a NUL',
      { model: 'gpt-4o\u0000mini' },
      /^spec\.model: must not hold a control character/,
    ],
    [
      'a model id with a line break',
      { model: 'gpt-4o\nmini' },
      /^spec\.model: must not hold a control character/,
    ],
    [
      'a region of 10,000 characters',
      { region: `eu-${'x'.repeat(10_000)}` },
      /^spec\.region: .*64/,
    ],
  ])(
    'refuses %s by field, as a hand-edited entity would bypass the form',
    (_what, spec, issue) => {
      const result = validatePlatformEntity('ModelProfile', profile(spec));
      expect(result.ok ? '' : formatValidationIssues(result.issues)).toMatch(
        issue,
      );
    },
  );

  it('takes model ids as providers write them', () => {
    for (const model of [
      'gpt-4o-mini',
      'claude-3-5-haiku@20241022',
      'meta-llama/Llama-3.1-8B-Instruct',
      'mistral.mistral-large-2407-v1:0',
    ]) {
      expect(
        validatePlatformEntity('ModelProfile', profile({ model })).ok,
      ).toBe(true);
    }
  });
});

describe('profileFeatures', () => {
  it('gives logprobs to every protocol that carries them, and never Anthropic logprobs, json-mode or custom tools, whatever the entity declares', () => {
    expect([...profileFeatures('openai', ['tools'])].sort()).toEqual([
      'logprobs',
      'tools',
    ]);
    expect(profileFeatures('vllm', []).has('logprobs')).toBe(true);
    // Custom tools are declared (OpenAI's API takes them for some models only), never Anthropic's.
    expect(profileFeatures('openai', ['tools']).has('custom-tools')).toBe(
      false,
    );
    expect(
      profileFeatures('openai', ['tools', 'custom-tools']).has('custom-tools'),
    ).toBe(true);
    expect([
      ...profileFeatures('anthropic', [
        'tools',
        'logprobs',
        'json-mode',
        'custom-tools',
      ]),
    ]).toEqual(['tools']);
  });
});
