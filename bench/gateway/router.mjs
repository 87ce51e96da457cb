// Router micro-benchmark: decision time with 100 model profiles and 1,000 tenants.
// Loads the TypeScript sources through Backstage's Node transform (SWC).
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export function runRouterBenchmark({ decisions = 50_000 } = {}) {
  require('@backstage/cli-node/config/nodeTransform.cjs');
  const {
    ModelRouter,
    UpstreamHealth,
    compileState,
    complexityScore,
  } = require('../../runtime/gateway/src/index.ts');
  const regions = [
    'eu-west-1',
    'eu-central-1',
    'us-east-1',
    'us-west-2',
    'swedencentral',
  ];
  const tiers = ['frontier', 'standard', 'economy'];
  const classes = ['PUBLIC', 'INTERNAL', 'CONFIDENTIAL', 'RESTRICTED'];
  const profiles = Array.from({ length: 100 }, (_, i) => ({
    id: `profile-${i}`,
    alias: `model-${i % 10}`,
    provider: 'simulator',
    upstreamModel: `upstream-${i}`,
    endpoint: 'http://127.0.0.1:7070/v1',
    region: regions[i % regions.length],
    qualityTier: tiers[i % tiers.length],
    contextLength: 32_000 * (1 + (i % 4)),
    maxOutputTokens: 4096,
    features:
      i % 3 === 0 ? ['tools', 'json-mode'] : ['tools', 'vision', 'json-mode'],
    inputPerMillionUsd: 0.1 + (i % 17) * 0.3,
    outputPerMillionUsd: 0.4 + (i % 13) * 1.1,
    maxClassification: classes[i % classes.length],
  }));
  const tenants = Array.from({ length: 1000 }, (_, i) => ({
    id: `tenant-${i}`,
    monthlyBudgetUsd: 1000,
    limits: { requestsPerMinute: 1000, tokensPerMinute: 1_000_000 },
    // Every tenant may use 60 of the 100 profiles.
    allowedModels: profiles.filter((_, j) => (j + i) % 5 !== 0).map(p => p.id),
    residencyRegions:
      i % 2 === 0 ? ['eu-west-1', 'eu-central-1', 'swedencentral'] : [],
    classification: classes[i % 3],
    promptCache: false,
  }));
  const agents = tenants.map((tenant, i) => ({
    id: `agent-${i}`,
    tenant: tenant.id,
    policy: ['quality', 'balanced', 'cost'][i % 3],
    preferredModels: [],
    // A chain names a profile once (the state refuses a repeat).
    fallbackChain: [
      ...new Set([`profile-${(i * 7) % 100}`, `profile-${(i * 11) % 100}`]),
    ],
    maxFallbacks: 2,
    requiredCapabilities: [],
  }));
  const state = compileState({
    schemaVersion: 1,
    version: 'bench',
    cell: 'bench-cell',
    tenants,
    apiKeys: [],
    modelProfiles: profiles,
    agents,
  });
  const router = new ModelRouter(new UpstreamHealth());
  const principals = tenants.map((tenant, i) => ({
    tenant: state.tenants.get(tenant.id),
    agent: state.agents.get(`agent-${i}`),
    keyPrefix: 'bench',
  }));
  // The request's complexity score is computed while parsing it, before routing.
  const complexity = [0, 1].map(tools =>
    complexityScore({
      promptChars: 2000,
      messageCount: 3,
      toolCount: tools,
      lastUserText: 'Explain this function step by step',
    }),
  );
  const route = i => {
    try {
      return router.route({
        state,
        principal: principals[i % principals.length],
        modelType: 'chat',
        // Half the requests name an alias (10 profiles share it), half let the router pick among all.
        requestedModel: i % 2 === 0 ? `model-${i % 10}` : 'auto',
        classification: 'PUBLIC',
        requiredCapabilities: i % 4 === 0 ? ['tools'] : [],
        estimatedInputTokens: 500 + (i % 2000),
        maxOutputTokens: 512,
        complexity: complexity[i % 4 === 0 ? 1 : 0],
      });
    } catch {
      return undefined;
    }
  };
  for (let i = 0; i < 5000; i++) route(i);
  const samples = new Float64Array(decisions);
  let candidates = 0;
  for (let i = 0; i < decisions; i++) {
    const start = process.hrtime.bigint();
    const plan = route(i);
    samples[i] = Number(process.hrtime.bigint() - start) / 1000;
    candidates += plan?.candidates.length ?? 0;
  }
  samples.sort();
  const at = q =>
    samples[Math.min(samples.length - 1, Math.floor(q * samples.length))];
  return {
    decisions,
    profiles: profiles.length,
    tenants: tenants.length,
    meanCandidates: candidates / decisions,
    p50Us: at(0.5),
    p99Us: at(0.99),
  };
}
