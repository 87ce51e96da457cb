import type { Entity } from '@backstage/catalog-model';
import { AgentEntity } from '@cellport/plugin-platform-common';
import { toPlatformEntities } from '@cellport/plugin-platform-node';
import { TEST_ENTITIES } from '@cellport/plugin-platform-node-test-utils';
import { candidateChanges } from './candidateChanges';

/** A profile of `provider` on northwind-retail's allowlist, declaring `features`. */
function profile(name: string, provider: string, features: string[]): Entity {
  return {
    apiVersion: 'cellport.dev/v1alpha1',
    kind: 'ModelProfile',
    metadata: { name },
    spec: {
      owner: 'group:ai-gateway-team',
      provider,
      model: name,
      endpoint: `https://${name}.example.com/v1`,
      region: 'eu-west-1',
      qualityTier: 'frontier',
      capabilities: { contextLength: 128000, maxOutputTokens: 8192, features },
      pricing: { inputPerMillionUsd: 0.1, outputPerMillionUsd: 0.1 },
      maxClassification: 'CONFIDENTIAL',
      dataRetention: { days: 0, usedForTraining: false },
    },
  };
}

describe('candidateChanges', () => {
  it("judges a profile's capabilities as the gateway's router does: its protocol's, not only what its entity declares", () => {
    const added = [
      // Declares logprobs and custom tools, which Anthropic's API has neither of.
      profile('claude-declares-all', 'anthropic', [
        'tools',
        'logprobs',
        'custom-tools',
      ]),
      // Declares custom tools but not logprobs, which every OpenAI-compatible API has.
      profile('openai-declares-tools', 'openai', ['tools', 'custom-tools']),
      // Declares no custom tools: OpenAI's API takes them for some models only.
      profile('openai-no-custom-tools', 'openai', ['tools']),
    ];
    const entities = toPlatformEntities(
      [
        ...TEST_ENTITIES.map(entity => {
          if (entity.metadata.name === 'northwind-retail') {
            const spec = entity.spec as { modelAllowlist: string[] };
            return {
              ...entity,
              spec: {
                ...spec,
                modelAllowlist: [
                  ...spec.modelAllowlist,
                  ...added.map(p => p.metadata.name),
                ],
              },
            };
          }
          return entity;
        }),
        ...added,
      ],
      (entity, issues) => {
        // The test catalog holds one broken tenant on purpose; any other is a broken test.
        if (entity.metadata.name === 'broken-tenant') return;
        throw new Error(
          `invalid test entity ${entity.metadata.name}: ${JSON.stringify(
            issues,
          )}`,
        );
      },
    );
    const agent = entities.agents.find(
      a => a.metadata.name === 'checkout-assistant',
    )!;
    const requiring: AgentEntity = {
      ...agent,
      spec: {
        ...agent.spec,
        routing: {
          ...agent.spec.routing,
          requiredCapabilities: ['tools', 'logprobs', 'custom-tools'],
        },
      },
    };
    const { candidates, excluded } = candidateChanges(requiring, entities);
    const reasons = Object.fromEntries(
      excluded.map(e => [e.modelProfile, e.reasons.join('; ')]),
    );
    expect(reasons['claude-declares-all']).toMatch(
      /lacks logprobs, custom-tools/,
    );
    expect(reasons['openai-declares-tools']).toBeUndefined();
    expect(reasons['openai-no-custom-tools']).toMatch(/lacks custom-tools,/);
    expect(candidates).toContainEqual(
      expect.objectContaining({
        kind: 'preferred-models',
        summary: expect.stringContaining('openai-declares-tools'),
      }),
    );
  });
});
