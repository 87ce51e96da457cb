import type {
  GatewayDesiredState,
  GatewayModelProfile,
} from '@cellport/plugin-platform-common';

/** Routing never calls upstreams: their address is only data here. */
const ENDPOINT = 'http://127.0.0.1:1/v1';

function profile(
  endpoint: string,
  fields: Partial<GatewayModelProfile> &
    Pick<GatewayModelProfile, 'id' | 'alias' | 'region'>,
): GatewayModelProfile {
  return {
    type: 'chat',
    provider: 'simulator',
    upstreamModel: `${fields.id}-model`,
    endpoint,
    qualityTier: 'standard',
    contextLength: 128_000,
    maxOutputTokens: 4096,
    features: ['tools', 'vision', 'json-mode'],
    inputPerMillionUsd: 1,
    outputPerMillionUsd: 2,
    maxClassification: 'CONFIDENTIAL',
    ...fields,
  };
}

/**
 * Two tenants: Northwind is pinned to eu-west-1 with INTERNAL data; Brightpath has no
 * residency, PUBLIC data and the prompt cache allowed. `gpt-4o` exists in the EU and the US.
 */
export function testState(version = 'v1'): GatewayDesiredState {
  return {
    schemaVersion: 1,
    version,
    cell: 'eu-west-shared-1',
    tenants: [
      {
        id: 'northwind',
        monthlyBudgetUsd: 100,
        limits: { requestsPerMinute: 10_000, tokensPerMinute: 100_000_000 },
        allowedModels: ['eu-large', 'eu-small', 'us-large', 'eu-embed'],
        residencyRegions: ['eu-west-1'],
        classification: 'INTERNAL',
        promptCache: false,
      },
      {
        id: 'brightpath',
        monthlyBudgetUsd: 50,
        limits: { requestsPerMinute: 10_000, tokensPerMinute: 100_000_000 },
        allowedModels: ['us-large', 'us-small', 'claude'],
        residencyRegions: [],
        classification: 'PUBLIC',
        promptCache: true,
      },
    ],
    apiKeys: [],
    modelProfiles: [
      profile(ENDPOINT, {
        id: 'eu-large',
        alias: 'gpt-4o',
        region: 'eu-west-1',
        qualityTier: 'frontier',
        inputPerMillionUsd: 2.5,
        outputPerMillionUsd: 10,
      }),
      profile(ENDPOINT, {
        id: 'eu-small',
        alias: 'gpt-4o-mini',
        region: 'eu-west-1',
        qualityTier: 'economy',
        inputPerMillionUsd: 0.15,
        outputPerMillionUsd: 0.6,
        maxClassification: 'INTERNAL',
      }),
      profile(ENDPOINT, {
        id: 'us-large',
        alias: 'gpt-4o',
        region: 'us-east-1',
        qualityTier: 'frontier',
        inputPerMillionUsd: 2.5,
        outputPerMillionUsd: 10,
      }),
      profile(ENDPOINT, {
        id: 'us-small',
        alias: 'gpt-4o-mini',
        region: 'us-east-1',
        qualityTier: 'economy',
        inputPerMillionUsd: 0.15,
        outputPerMillionUsd: 0.6,
        maxClassification: 'PUBLIC',
        features: [],
      }),
      profile(ENDPOINT, {
        id: 'claude',
        alias: 'claude-haiku',
        region: 'us-east-1',
        provider: 'anthropic',
        inputPerMillionUsd: 0.8,
        outputPerMillionUsd: 4,
      }),
      profile(ENDPOINT, {
        id: 'eu-embed',
        alias: 'text-embedding-3-small',
        type: 'embeddings',
        region: 'eu-west-1',
        inputPerMillionUsd: 0.02,
        outputPerMillionUsd: 0,
      }),
    ],
    agents: [
      {
        id: 'nw-assistant',
        tenant: 'northwind',
        policy: 'quality',
        preferredModels: ['eu-large'],
        fallbackChain: ['eu-small', 'us-large'],
        maxFallbacks: 2,
        requiredCapabilities: [],
      },
    ],
  };
}
