import fs from 'node:fs';
import path from 'node:path';
import { parseAllDocuments, parse } from 'yaml';
import { PlatformKind, validatePlatformEntity } from './registry';

const examples = path.resolve(__dirname, '../../../../examples');

function demo(file: string, name: string): any {
  return parseAllDocuments(fs.readFileSync(path.join(examples, file), 'utf8'))
    .map(d => d.toJS())
    .find(e => e.metadata?.name === name);
}

/** The demo entity with one field set to `value`, as a hand-edited file would carry it. */
function withField(entity: any, fieldPath: string, value: unknown) {
  const copy = structuredClone(entity);
  const keys = fieldPath.split('.');
  let at = copy;
  for (const key of keys.slice(0, -1)) at = at[key] ??= {};
  at[keys[keys.length - 1]] = value;
  return copy;
}

function issuesOf(kind: PlatformKind, entity: unknown) {
  const result = validatePlatformEntity(kind, entity);
  return result.ok ? [] : result.issues;
}

const fields: Array<[PlatformKind, string, string, string, string]> = [
  [
    'Tenant',
    'tenants.yaml',
    'northwind-retail',
    'spec.monthlyBudgetUsd',
    '1,000,000,000',
  ],
  [
    'Tenant',
    'tenants.yaml',
    'northwind-retail',
    'spec.rateLimits.requestsPerMinute',
    '10,000,000',
  ],
  [
    'Tenant',
    'tenants.yaml',
    'northwind-retail',
    'spec.rateLimits.tokensPerMinute',
    '1,000,000,000',
  ],
  [
    'Cell',
    'cells.yaml',
    'meridian-dedicated',
    'spec.capacity.maxTenants',
    '10,000',
  ],
  [
    'Cell',
    'cells.yaml',
    'meridian-dedicated',
    'spec.capacity.maxRequestsPerSecond',
    '1,000,000',
  ],
  ['Cell', 'cells.yaml', 'meridian-dedicated', 'spec.capacity.gpus', '100,000'],
  [
    'Cell',
    'cells.yaml',
    'meridian-dedicated',
    'spec.slos.1.thresholdMs',
    '60,000',
  ],
  [
    'Agent',
    'agents.yaml',
    'checkout-assistant',
    'spec.runBudget.maxCostPerRunUsd',
    '1,000,000,000',
  ],
  [
    'Agent',
    'agents.yaml',
    'checkout-assistant',
    'spec.runBudget.maxTokensPerRun',
    '100,000,000',
  ],
  [
    'ModelProfile',
    'model-profiles.yaml',
    'gpt-4o-mini',
    'spec.pricing.inputPerMillionUsd',
    '10,000',
  ],
  [
    'ModelProfile',
    'model-profiles.yaml',
    'gpt-4o-mini',
    'spec.capabilities.contextLength',
    '10,000,000',
  ],
  [
    'ModelProfile',
    'model-profiles.yaml',
    'gpt-4o-mini',
    'spec.dataRetention.days',
    '36,500',
  ],
  [
    'InferenceDeployment',
    'inference-deployments.yaml',
    'llama-3-1-70b-meridian',
    'spec.maxContextLength',
    '10,000,000',
  ],
  [
    'InferenceDeployment',
    'inference-deployments.yaml',
    'llama-3-1-70b-meridian',
    'spec.model.parametersBillions',
    '10,000',
  ],
  [
    'InferenceDeployment',
    'inference-deployments.yaml',
    'llama-3-1-70b-meridian',
    'spec.replicas.max',
    '1,000',
  ],
  [
    'InferenceDeployment',
    'inference-deployments.yaml',
    'llama-3-1-70b-meridian',
    'spec.replicas.targetQueueDepth',
    '10,000',
  ],
  [
    'InferenceDeployment',
    'inference-deployments.yaml',
    'llama-3-1-70b-meridian',
    'spec.maxConcurrentSequences',
    '4,096',
  ],
  // A replica is one pod on one node: more GPUs than a node holds would never be scheduled.
  [
    'InferenceDeployment',
    'inference-deployments.yaml',
    'llama-3-1-70b-meridian',
    'spec.gpu.count',
    '8',
  ],
  [
    'InferenceDeployment',
    'inference-deployments.yaml',
    'llama-3-1-70b-meridian',
    'spec.tensorParallelism',
    '8',
  ],
];

describe('numbers in the platform kinds', () => {
  it.each(fields)(
    '%s %s: %s refuses 1e308 with its bound',
    (kind, file, name, field, bound) => {
      const issues = issuesOf(kind, withField(demo(file, name), field, 1e308));
      const at = field.replace(/\.(\d+)\./g, '[$1].');
      expect(issues).toContainEqual({
        path: at,
        message: `must be at most ${bound}`,
      });
      // One clear message per field, not zod's "too big for a safe integer" beside it.
      expect(issues.filter(i => i.path === at)).toHaveLength(1);
    },
  );

  it('refuses a replica of more GPUs than one node holds: its one pod would never be scheduled', () => {
    const deployment = demo(
      'inference-deployments.yaml',
      'llama-3-1-70b-meridian',
    );
    const withGpus = (count: number, tensorParallelism: number) =>
      issuesOf('InferenceDeployment', {
        ...deployment,
        spec: {
          ...deployment.spec,
          gpu: { ...(deployment.spec as any).gpu, count },
          tensorParallelism,
        },
      });
    expect(withGpus(16, 8)).toEqual([
      { path: 'spec.gpu.count', message: 'must be at most 8' },
    ]);
    expect(withGpus(8, 4)).toEqual([]);
  });

  it('refuses non-finite numbers, as a YAML file can write them', () => {
    // YAML's .inf and .nan parse to Infinity and NaN.
    const tenant = {
      ...demo('tenants.yaml', 'northwind-retail'),
      spec: {
        ...demo('tenants.yaml', 'northwind-retail').spec,
        ...parse(
          'monthlyBudgetUsd: .inf\nrateLimits: { requestsPerMinute: .nan, tokensPerMinute: -.inf }',
        ),
      },
    };
    expect(issuesOf('Tenant', tenant)).toEqual([
      { path: 'spec.monthlyBudgetUsd', message: 'must be a finite number' },
      {
        path: 'spec.rateLimits.requestsPerMinute',
        message: 'must be a finite number',
      },
      {
        path: 'spec.rateLimits.tokensPerMinute',
        message: 'must be a finite number',
      },
    ]);
  });

  it('refuses fractions of whole things and negative amounts, saying which', () => {
    const cell = demo('cells.yaml', 'meridian-dedicated');
    expect(
      issuesOf('Cell', withField(cell, 'spec.capacity.gpus', 2.5)),
    ).toEqual([
      { path: 'spec.capacity.gpus', message: 'must be a whole number' },
    ]);
    expect(
      issuesOf('Cell', withField(cell, 'spec.capacity.gpus', -1e308)),
    ).toEqual([
      { path: 'spec.capacity.gpus', message: 'must not be negative' },
    ]);
  });
});
