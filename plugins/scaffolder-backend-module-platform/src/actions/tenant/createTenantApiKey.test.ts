import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import { fakeCheckpoints } from '../../__testUtils__/fakeCheckpoints';
import { startSealingPlatformBackend } from '../../__testUtils__/sealingPlatformBackend';
import { API_KEYS_ANNOTATION } from '@cellport/plugin-platform-common';
import { createHash } from 'node:crypto';
import { createTenantApiKeyAction } from './createTenantApiKey';
import { readableUtc } from '../keys/issueApiKey';

jest.setTimeout(60_000);

const USER = 'user:default/lena.fischer';

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

describe('cellport:tenant:create-api-key', () => {
  let backend: Awaited<ReturnType<typeof startSealingPlatformBackend>>;
  beforeAll(async () => {
    backend = await startSealingPlatformBackend();
  });

  const action = () => createTenantApiKeyAction(backend.deps);

  async function run(options: object = {}) {
    const ctx = {
      ...createMockActionContext({ input: { tenant } }),
      user: { ref: USER },
      ...options,
    };
    const warn = jest.spyOn(ctx.logger, 'warn');
    await action().handler(ctx as any);
    return {
      outputs: Object.fromEntries((ctx.output as jest.Mock).mock.calls),
      warn,
    };
  }

  const reveal = (revealUrl: string, user = USER) =>
    backend.reveal(revealUrl, user);

  it('puts only the hash in the tenant and lets the user who ran it reveal the key once', async () => {
    const { outputs } = await run();
    expect(Object.keys(outputs).sort()).toEqual([
      'expiresAt',
      'expiresAtText',
      'prefix',
      'revealUrl',
      'tenant',
    ]);
    expect(outputs.revealUrl).toMatch(
      /^\/api-keys\/reveal\/[A-Za-z0-9_-]{43}$/,
    );
    expect(outputs.expiresAtText).toBe(readableUtc(outputs.expiresAt));
    expect(readableUtc('2026-12-03T10:15:42.000Z')).toBe(
      '10:15 UTC on 3 December 2026',
    );

    expect((await reveal(outputs.revealUrl, 'user:default/other')).status).toBe(
      403,
    );
    const revealed = await reveal(outputs.revealUrl);
    expect(revealed.status).toBe(200);
    const { apiKey } = (await revealed.json()) as { apiKey: string };
    expect(apiKey).toMatch(/^cpk_[A-Za-z0-9_-]{32}$/);
    expect(outputs.prefix).toBe(apiKey.slice(0, 10));
    expect(
      JSON.parse(outputs.tenant.metadata.annotations[API_KEYS_ANNOTATION]),
    ).toEqual([
      {
        sha256: createHash('sha256').update(apiKey).digest('hex'),
        prefix: apiKey.slice(0, 10),
        createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      },
    ]);
    // The key is in no output, so not in the scaffolder's task database either.
    expect(JSON.stringify(outputs)).not.toContain(apiKey);
    expect((await reveal(outputs.revealUrl)).status).toBe(404);
  });

  it('binds a key to one agent, in the tenant and in what the reveal says', async () => {
    const ctx = {
      ...createMockActionContext({
        input: { tenant, agent: 'checkout-assistant' },
      }),
      user: { ref: USER },
    };
    await action().handler(ctx as any);
    const outputs = Object.fromEntries((ctx.output as jest.Mock).mock.calls);
    expect(
      JSON.parse(outputs.tenant.metadata.annotations[API_KEYS_ANNOTATION]),
    ).toEqual([expect.objectContaining({ agent: 'checkout-assistant' })]);
    const revealed = await reveal(outputs.revealUrl);
    expect(await revealed.json()).toMatchObject({
      tenant: 'tenant:default/contoso-travel',
      agent: 'agent:default/checkout-assistant',
    });
  });

  it('reuses the checkpointed key when a run is retried', async () => {
    const { checkpoint } = fakeCheckpoints();
    const first = await run({ checkpoint });
    const retried = await run({ checkpoint });
    expect(retried.outputs).toEqual(first.outputs);
    expect((await run()).outputs.revealUrl).not.toBe(first.outputs.revealUrl);
  });

  it("keeps a retried run's key even when its reveal link has expired, and warns", async () => {
    const { kept: checkpoints, checkpoint } = fakeCheckpoints();
    const first = await run({ checkpoint });
    expect(first.warn).not.toHaveBeenCalled();
    // A retry a day and more later: the reveal the first attempt sealed is past its time.
    for (const [key, created] of checkpoints) {
      checkpoints.set(key, {
        ...(created as object),
        expiresAt: '2020-01-01T00:00:00.000Z',
      });
    }
    const retried = await run({ checkpoint });
    expect(retried.outputs.prefix).toBe(first.outputs.prefix);
    expect(retried.warn).toHaveBeenCalledWith(
      `The link to reveal API key ${first.outputs.prefix}… expired at 2020-01-01T00:00:00.000Z; if nobody revealed it, contoso-travel needs a new key`,
    );
  });

  it('seals nothing in a dry run', async () => {
    const { outputs } = await run({ isDryRun: true });
    expect(outputs.revealUrl).toBe('/api-keys/reveal/dry-run');
    expect(outputs.prefix).toBe('cpk_dry-ru');
  });

  it('fails before anything is written when the key cannot be sealed', async () => {
    const broken = createTenantApiKeyAction({
      discovery: backend.deps.discovery,
      // A user token: the seal route is for backend plugins only.
      auth: Object.assign(mockServices.auth(), {
        getPluginRequestToken: async () => ({
          token: mockCredentials.user.token(USER),
        }),
      }),
    });
    const ctx = {
      ...createMockActionContext({ input: { tenant } }),
      user: { ref: USER },
    };
    await expect(broken.handler(ctx as any)).rejects.toThrow(
      /Could not seal the new API key for tenant:default\/contoso-travel: The platform backend answered 403/,
    );
    expect(ctx.output).not.toHaveBeenCalled();
  });

  it('refuses something that is not a tenant', async () => {
    const ctx = createMockActionContext({
      input: { tenant: { kind: 'Tenant' } },
    });
    await expect(action().handler(ctx as any)).rejects.toThrow(/^tenant: /);
  });
});
