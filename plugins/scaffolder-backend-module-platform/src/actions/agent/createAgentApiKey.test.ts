import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import { API_KEYS_ANNOTATION } from '@cellport/plugin-platform-common';
import { createHash } from 'node:crypto';
import { fakeCheckpoints } from '../../__testUtils__/fakeCheckpoints';
import { startSealingPlatformBackend } from '../../__testUtils__/sealingPlatformBackend';
import { createAgentApiKeyAction } from './createAgentApiKey';

jest.setTimeout(60_000);

const USER = 'user:default/lena.fischer';

const agent = {
  apiVersion: 'cellport.dev/v1alpha1',
  kind: 'Agent',
  metadata: { name: 'itinerary-planner' },
  spec: {
    owner: 'group:default/contoso',
    tenant: 'tenant:default/contoso-travel',
    cell: 'eu-west-shared-1',
    modelProfiles: ['azure-gpt-4o-mini-eu'],
    routing: { policy: 'cost' },
  },
};

describe('cellport:agent:create-api-key', () => {
  let backend: Awaited<ReturnType<typeof startSealingPlatformBackend>>;
  beforeAll(async () => {
    backend = await startSealingPlatformBackend();
  });

  const action = () => createAgentApiKeyAction(backend.deps);

  async function run(options: object = {}, input: object = { agent }) {
    const ctx = {
      ...createMockActionContext({ input: input as any }),
      user: { ref: USER },
      ...options,
    };
    await action().handler(ctx as any);
    return Object.fromEntries((ctx.output as jest.Mock).mock.calls);
  }

  const reveal = (revealUrl: string, user = USER) =>
    backend.reveal(revealUrl, user);

  it("puts only the hash in the agent's own annotation and reveals the key, bound to the agent, once to the user who ran it", async () => {
    const outputs = await run();
    expect(Object.keys(outputs).sort()).toEqual([
      'agent',
      'expiresAt',
      'expiresAtText',
      'prefix',
      'revealUrl',
    ]);
    expect((await reveal(outputs.revealUrl, 'user:default/other')).status).toBe(
      403,
    );
    const revealed = await reveal(outputs.revealUrl);
    expect(revealed.status).toBe(200);
    const body = (await revealed.json()) as any;
    expect(body).toMatchObject({
      tenant: 'tenant:default/contoso-travel',
      agent: 'agent:default/itinerary-planner',
      prefix: outputs.prefix,
    });
    const apiKey: string = body.apiKey;
    expect(
      JSON.parse(outputs.agent.metadata.annotations[API_KEYS_ANNOTATION]),
    ).toEqual([
      {
        sha256: createHash('sha256').update(apiKey).digest('hex'),
        prefix: apiKey.slice(0, 10),
        createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      },
    ]);
    // The rest of the agent is what the plan made.
    expect(outputs.agent.spec).toEqual(agent.spec);
    expect(JSON.stringify(outputs)).not.toContain(apiKey);
    expect((await reveal(outputs.revealUrl)).status).toBe(404);
  });

  it('reuses the checkpointed key when a run is retried', async () => {
    const { checkpoint } = fakeCheckpoints();
    const first = await run({ checkpoint });
    const retried = await run({ checkpoint });
    expect(retried).toEqual(first);
    expect((await run()).revealUrl).not.toBe(first.revealUrl);
  });

  it('seals nothing in a dry run', async () => {
    const outputs = await run({ isDryRun: true });
    expect(outputs.revealUrl).toBe('/api-keys/reveal/dry-run');
  });

  it('refuses something that is not an agent, naming the field', async () => {
    await expect(
      run({}, { agent: { ...agent, spec: { ...agent.spec, tenant: 7 } } }),
    ).rejects.toThrow(/^agent: .*spec\.tenant/);
  });
});
