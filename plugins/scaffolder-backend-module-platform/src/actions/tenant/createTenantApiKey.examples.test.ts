import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { API_KEYS_ANNOTATION } from '@cellport/plugin-platform-common';
import { createHash } from 'node:crypto';
import { demoCatalog } from '../../__testUtils__/demoCatalog';
import { runExample } from '../../__testUtils__/runExample';
import { startSealingPlatformBackend } from '../../__testUtils__/sealingPlatformBackend';
import { createTenantApiKeyAction } from './createTenantApiKey';
import { examples } from './createTenantApiKey.examples';
import { createPlanTenantOnboardingAction } from './planTenantOnboarding';

jest.setTimeout(60_000);

const USER = 'user:default/lena.fischer';

describe('cellport:tenant:create-api-key examples', () => {
  let backend: Awaited<ReturnType<typeof startSealingPlatformBackend>>;
  beforeAll(async () => {
    backend = await startSealingPlatformBackend();
  });

  it("Example 1: creates the planned tenant's first key, revealed once to whoever ran it", async () => {
    const { plan, key } = await runExample(examples[0], {
      actions: [
        createPlanTenantOnboardingAction({
          catalog: catalogServiceMock({ entities: demoCatalog() }),
        }),
        createTenantApiKeyAction(backend.deps),
      ],
      context: { user: { ref: USER } },
    });
    expect(key.tenant.spec).toEqual(plan.tenant.spec);
    const revealed = await backend.reveal(key.revealUrl, USER);
    expect(revealed.status).toBe(200);
    const body = (await revealed.json()) as any;
    expect(body).toMatchObject({
      tenant: 'tenant:default/contoso-travel',
      prefix: key.prefix,
    });
    expect(
      JSON.parse(key.tenant.metadata.annotations[API_KEYS_ANNOTATION]),
    ).toEqual([
      expect.objectContaining({
        sha256: createHash('sha256').update(body.apiKey).digest('hex'),
      }),
    ]);
    expect((await backend.reveal(key.revealUrl, USER)).status).toBe(404);
  });
});
