import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import { createHash } from 'node:crypto';
import { API_KEYS_ANNOTATION } from '@cellport/plugin-platform-common';
import { createTenantApiKeyAction } from './createTenantApiKey';

const tenant = {
  apiVersion: 'cellport.dev/v1alpha1',
  kind: 'Tenant',
  metadata: { name: 'contoso-travel' },
  spec: {
    owner: 'group:default/contoso',
    tier: 'basic',
    isolation: 'shared',
    cell: 'eu-west-shared-1',
    homeRegion: 'eu-west-1',
    dataClassification: 'INTERNAL',
    monthlyBudgetUsd: 100,
    rateLimits: { requestsPerMinute: 60, tokensPerMinute: 10000 },
    modelAllowlist: ['azure-gpt-4o-mini-eu'],
  },
};

async function run(options: object = {}) {
  const ctx = { ...createMockActionContext({ input: { tenant } }), ...options };
  await createTenantApiKeyAction().handler(ctx as any);
  return Object.fromEntries((ctx.output as jest.Mock).mock.calls);
}

describe('cellport:tenant:create-api-key', () => {
  it('returns the key once and puts only its hash and prefix in the tenant', async () => {
    const out = await run();
    expect(out.apiKey).toMatch(/^cpk_[A-Za-z0-9_-]{32}$/);
    const keys = JSON.parse(
      out.tenant.metadata.annotations[API_KEYS_ANNOTATION],
    );
    expect(keys).toEqual([
      {
        sha256: createHash('sha256').update(out.apiKey).digest('hex'),
        prefix: out.apiKey.slice(0, 10),
      },
    ]);
    expect(JSON.stringify(out.tenant)).not.toContain(out.apiKey);
  });

  it('creates a different key each run, and none in a dry run', async () => {
    expect((await run()).apiKey).not.toBe((await run()).apiKey);
    expect((await run({ isDryRun: true })).apiKey).toBe(
      'cpk_dry-run-no-key-created',
    );
  });

  it('refuses something that is not a tenant', async () => {
    const ctx = createMockActionContext({
      input: { tenant: { kind: 'Tenant' } },
    });
    await expect(
      createTenantApiKeyAction().handler(ctx as any),
    ).rejects.toThrow(/^tenant: /);
  });
});
