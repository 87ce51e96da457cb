import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { API_KEYS_ANNOTATION } from '@cellport/plugin-platform-common';
import { createHash } from 'node:crypto';
import { demoCatalog } from '../../__testUtils__/demoCatalog';
import { runExample } from '../../__testUtils__/runExample';
import { startSealingPlatformBackend } from '../../__testUtils__/sealingPlatformBackend';
import { createAgentApiKeyAction } from './createAgentApiKey';
import { examples } from './createAgentApiKey.examples';
import { createPlanAgentAction } from './planAgent';

jest.setTimeout(60_000);

const USER = 'user:default/lena.fischer';

describe('cellport:agent:create-api-key examples', () => {
  let backend: Awaited<ReturnType<typeof startSealingPlatformBackend>>;
  beforeAll(async () => {
    backend = await startSealingPlatformBackend();
  });

  it("Example 1: creates the planned agent's key, revealed once to whoever ran it", async () => {
    const { plan, key } = await runExample(examples[0], {
      actions: [
        createPlanAgentAction({
          catalog: catalogServiceMock({ entities: demoCatalog() }),
        }),
        createAgentApiKeyAction(backend.deps),
      ],
      context: { user: { ref: USER } },
    });
    expect(key.agent.spec).toEqual(plan.agent.spec);
    const revealed = await backend.reveal(key.revealUrl, USER);
    expect(revealed.status).toBe(200);
    const body = (await revealed.json()) as any;
    expect(body).toMatchObject({
      tenant: 'tenant:default/northwind-retail',
      agent: 'agent:default/returns-assistant',
      prefix: key.prefix,
    });
    expect(
      JSON.parse(key.agent.metadata.annotations[API_KEYS_ANNOTATION]),
    ).toEqual([
      expect.objectContaining({
        sha256: createHash('sha256').update(body.apiKey).digest('hex'),
        prefix: key.prefix,
      }),
    ]);
    expect(JSON.stringify(key)).not.toContain(body.apiKey);
  });
});
