import { Entity } from '@backstage/catalog-model';

/**
 * A small catalog of the platform kinds for tests: two tenants of a shared cell (and a second
 * cell), an agent of each, hosted and self-hosted model profiles, the inference deployment
 * serving the self-hosted one, and an invalid tenant that catalog readers must skip.
 */
const apiVersion = 'cellport.dev/v1alpha1';

export const TEST_ENTITIES: Entity[] = [
  {
    apiVersion,
    kind: 'Tenant',
    metadata: {
      name: 'northwind-retail',
      annotations: {
        'cellport.dev/api-keys': JSON.stringify([
          { sha256: 'a'.repeat(64), prefix: 'cpk_nw01' },
          {
            sha256: 'b'.repeat(64),
            prefix: 'cpk_nw02',
            agent: 'checkout-assistant',
          },
        ]),
      },
    },
    spec: {
      owner: 'group:northwind-commerce',
      tier: 'basic',
      isolation: 'shared',
      homeRegion: 'eu-west-1',
      residency: { pinned: true, regions: ['eu-west-1', 'swedencentral'] },
      dataClassification: 'INTERNAL',
      monthlyBudgetUsd: 3000,
      rateLimits: { requestsPerMinute: 600, tokensPerMinute: 400000 },
      modelAllowlist: ['azure-gpt-4o-eu', 'azure-gpt-4o-mini-eu'],
    },
  },
  {
    apiVersion,
    kind: 'Tenant',
    metadata: { name: 'brightpath-edu' },
    spec: {
      owner: 'group:brightpath-learning',
      tier: 'free',
      isolation: 'shared',
      homeRegion: 'eu-west-1',
      dataClassification: 'PUBLIC',
      monthlyBudgetUsd: 150,
      rateLimits: { requestsPerMinute: 60, tokensPerMinute: 60000 },
      modelAllowlist: ['azure-gpt-4o-mini-eu', 'llama-3-1-70b-eu'],
      promptCache: true,
    },
  },
  {
    apiVersion,
    kind: 'Cell',
    metadata: {
      name: 'eu-west-shared-1',
      annotations: { 'backstage.io/kubernetes-id': 'eu-west-shared-1' },
    },
    spec: {
      owner: 'group:platform-sre',
      tier: 'shared',
      cloud: 'aws',
      region: 'eu-west-1',
      cluster: 'eks-eu-west-1-shared',
      namespaces: ['tenant-northwind-retail', 'tenant-brightpath-edu'],
      capacity: { maxTenants: 40, maxRequestsPerSecond: 300, gpus: 8 },
      tenants: ['northwind-retail', 'tenant:default/brightpath-edu'],
      slos: [
        {
          name: 'gateway-availability',
          indicator: 'availability',
          target: 0.999,
          window: '30d',
        },
      ],
    },
  },
  {
    apiVersion,
    kind: 'Cell',
    metadata: {
      name: 'us-east-shared-1',
      annotations: { 'backstage.io/kubernetes-id': 'us-east-shared-1' },
    },
    spec: {
      owner: 'group:platform-sre',
      tier: 'shared',
      cloud: 'aws',
      region: 'us-east-1',
      cluster: 'eks-us-east-1-shared',
      namespaces: ['tenant-none'],
      capacity: { maxTenants: 40, maxRequestsPerSecond: 300 },
      tenants: [],
    },
  },
  {
    apiVersion,
    kind: 'Agent',
    metadata: { name: 'checkout-assistant' },
    spec: {
      owner: 'group:northwind-commerce',
      tenant: 'northwind-retail',
      cell: 'eu-west-shared-1',
      modelProfiles: ['azure-gpt-4o-mini-eu', 'azure-gpt-4o-eu'],
      routing: {
        policy: 'balanced',
        fallbackChain: ['azure-gpt-4o-eu'],
        maxFallbacks: 1,
        requiredCapabilities: ['tools'],
      },
      runBudget: { maxCostPerRunUsd: 0.05, monthlyBudgetUsd: 1500 },
    },
  },
  {
    apiVersion,
    kind: 'Agent',
    metadata: { name: 'homework-helper' },
    spec: {
      owner: 'group:brightpath-learning',
      tenant: 'brightpath-edu',
      cell: 'eu-west-shared-1',
      modelProfiles: ['llama-3-1-70b-eu'],
      routing: { policy: 'cost' },
    },
  },
  ...['azure-gpt-4o-eu', 'azure-gpt-4o-mini-eu', 'llama-3-1-70b-eu'].map(
    name => ({
      apiVersion,
      kind: 'ModelProfile',
      metadata: { name },
      spec: {
        owner: 'group:ai-gateway-team',
        provider: name.startsWith('llama') ? 'vllm' : 'azure-openai',
        model: name,
        endpoint: name.startsWith('llama')
          ? 'http://llama-3-1-70b-eu.cellport-inference:8000/v1'
          : 'https://cellport-eu.openai.azure.com/openai',
        region: name.startsWith('llama') ? 'eu-west-1' : 'swedencentral',
        qualityTier: name.includes('mini') ? 'economy' : 'frontier',
        capabilities: {
          contextLength: 128000,
          maxOutputTokens: 16384,
          features: ['tools'],
        },
        pricing: name.startsWith('llama')
          ? { inputPerMillionUsd: 0, outputPerMillionUsd: 0 }
          : { inputPerMillionUsd: 2.5, outputPerMillionUsd: 10 },
        maxClassification: 'CONFIDENTIAL',
        dataRetention: { days: 0, usedForTraining: false },
      },
    }),
  ),
  {
    apiVersion,
    kind: 'InferenceDeployment',
    metadata: {
      name: 'llama-3-1-70b-eu',
      annotations: { 'backstage.io/kubernetes-id': 'llama-3-1-70b-eu' },
    },
    spec: {
      owner: 'group:platform-sre',
      cell: 'eu-west-shared-1',
      modelProfile: 'llama-3-1-70b-eu',
      model: {
        name: 'meta-llama/Llama-3.1-70B-Instruct',
        parametersBillions: 70.6,
        precision: 'bf16',
      },
      gpu: { type: 'H100-80GB', count: 4 },
      tensorParallelism: 4,
      maxContextLength: 32768,
      replicas: { min: 2, max: 3 },
    },
  },
  {
    // Invalid on purpose: the catalog reader skips it.
    apiVersion,
    kind: 'Tenant',
    metadata: { name: 'broken-tenant' },
    spec: { owner: 'group:nobody' },
  },
];
