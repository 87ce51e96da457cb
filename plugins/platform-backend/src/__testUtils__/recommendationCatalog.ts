import { Entity } from '@backstage/catalog-model';
import {
  PlatformEvent,
  ROUTING_FEATURES_VERSION,
} from '@cellport/plugin-platform-common';
import {
  makeRequest,
  TEST_ENTITIES,
} from '@cellport/plugin-platform-node-test-utils';

const apiVersion = 'cellport.dev/v1alpha1';

function profile(
  name: string,
  spec: { region: string; price: number; maxClassification?: string },
  features = ['tools'],
): Entity {
  return {
    apiVersion,
    kind: 'ModelProfile',
    metadata: { name },
    spec: {
      owner: 'group:ai-gateway-team',
      provider: 'vllm',
      model: name,
      endpoint: `http://${name}.cellport-inference:8000/v1`,
      region: spec.region,
      qualityTier: 'frontier',
      capabilities: { contextLength: 128000, maxOutputTokens: 16384, features },
      pricing: {
        inputPerMillionUsd: spec.price,
        outputPerMillionUsd: spec.price,
      },
      maxClassification: spec.maxClassification ?? 'CONFIDENTIAL',
      dataRetention: { days: 0, usedForTraining: false },
    },
  };
}

/**
 * The test catalog with cheaper profiles that northwind-retail's allowlist names but its
 * boundaries rule out, as a hand edit could: another tenant's dedicated model (free, frontier,
 * in the tenant's region: the best deal there is, if it were allowed), one outside its pinned
 * residency, one below its data classification and one without the tools its agent needs.
 * The economy profile is priced below the frontier one, so a cheaper policy saves something.
 */
export const RECOMMENDATION_ENTITIES: Entity[] = [
  ...TEST_ENTITIES.map(entity => {
    if (
      entity.kind === 'Tenant' &&
      entity.metadata.name === 'northwind-retail'
    ) {
      const spec = entity.spec as { modelAllowlist: string[] };
      return {
        ...entity,
        spec: {
          ...entity.spec,
          modelAllowlist: [
            ...spec.modelAllowlist,
            'acme-llama-dedicated',
            'us-east-cheap',
            'public-only-cheap',
            'no-tools-cheap',
          ],
        },
      };
    }
    if (
      entity.kind === 'ModelProfile' &&
      entity.metadata.name === 'azure-gpt-4o-mini-eu'
    ) {
      return {
        ...entity,
        spec: {
          ...entity.spec,
          pricing: { inputPerMillionUsd: 0.15, outputPerMillionUsd: 0.6 },
        },
      };
    }
    return entity;
  }),
  {
    apiVersion,
    kind: 'Tenant',
    metadata: { name: 'acme-bank' },
    spec: {
      owner: 'group:acme-banking',
      tier: 'enterprise',
      isolation: 'dedicated',
      homeRegion: 'eu-west-1',
      dataClassification: 'CONFIDENTIAL',
      monthlyBudgetUsd: 50000,
      rateLimits: { requestsPerMinute: 600, tokensPerMinute: 400000 },
      modelAllowlist: ['acme-llama-dedicated'],
    },
  },
  {
    apiVersion,
    kind: 'Cell',
    metadata: {
      name: 'eu-west-acme-1',
      annotations: { 'backstage.io/kubernetes-id': 'eu-west-acme-1' },
    },
    spec: {
      owner: 'group:platform-sre',
      tier: 'dedicated',
      cloud: 'aws',
      region: 'eu-west-1',
      cluster: 'eks-eu-west-1-acme',
      namespaces: ['tenant-acme-bank'],
      capacity: { maxTenants: 1, maxRequestsPerSecond: 100, gpus: 8 },
      tenants: ['acme-bank'],
    },
  },
  {
    apiVersion,
    kind: 'InferenceDeployment',
    metadata: {
      name: 'acme-llama-dedicated',
      annotations: { 'backstage.io/kubernetes-id': 'acme-llama-dedicated' },
    },
    spec: {
      owner: 'group:acme-banking',
      cell: 'eu-west-acme-1',
      modelProfile: 'acme-llama-dedicated',
      model: {
        name: 'meta-llama/Llama-3.1-70B-Instruct',
        parametersBillions: 70.6,
        precision: 'bf16',
      },
      gpu: { type: 'H100-80GB', count: 4 },
      tensorParallelism: 4,
      maxContextLength: 32768,
      replicas: { min: 1, max: 2 },
    },
  },
  profile('acme-llama-dedicated', { region: 'eu-west-1', price: 0 }),
  profile('us-east-cheap', { region: 'us-east-1', price: 0.01 }),
  profile('public-only-cheap', {
    region: 'eu-west-1',
    price: 0.01,
    maxClassification: 'PUBLIC',
  }),
  profile('no-tools-cheap', { region: 'eu-west-1', price: 0.01 }, []),
];

/**
 * Stored history of one agent: `perHour` chat requests for `auto` each hour of the range,
 * recorded as served by `served` at `pricePerMillion` (input, output), with their routing
 * features so a replay re-derives them, and complexity spread over 0–0.9.
 */
export function agentHistory(options: {
  agent: string;
  tenant: string;
  cell: string;
  classification: 'PUBLIC' | 'INTERNAL' | 'CONFIDENTIAL' | 'RESTRICTED';
  from: number;
  to: number;
  perHour: number;
  served: string;
  pricePerMillion: [number, number];
}): PlatformEvent[] {
  const count = Math.floor(
    ((options.to - options.from) / 3_600_000) * options.perHour,
  );
  const step = (options.to - options.from) / count;
  const events: PlatformEvent[] = [];
  for (let i = 0; i < count; i++) {
    const timestamp = new Date(
      options.from + Math.floor(i * step),
    ).toISOString();
    const [input, output] = [1000, 300];
    events.push(
      ...makeRequest(
        {
          timestamp,
          cell: options.cell,
          tenant: options.tenant,
          agent: options.agent,
          modelProfile: options.served,
          inputTokens: input,
          outputTokens: output,
          costUsd:
            (input * options.pricePerMillion[0] +
              output * options.pricePerMillion[1]) /
            1e6,
        },
        {
          requestedModel: 'auto',
          candidates: [
            { modelProfile: options.served, kept: true, rank: 0, score: 1 },
          ],
          features: {
            featuresVersion: ROUTING_FEATURES_VERSION,
            modelType: 'chat',
            requestedModel: 'auto',
            agent: options.agent,
            classification: options.classification,
            requiredCapabilities: [],
            estimatedInputTokens: 900,
            promptTokenBound: 1200,
            maxOutputTokens: 512,
            choices: 1,
            complexity: (i % 10) / 10,
          },
        },
      ),
    );
  }
  return events;
}
