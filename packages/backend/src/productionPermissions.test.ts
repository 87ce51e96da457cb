import { CATALOG_PROCESSING_INTERVAL } from './__testUtils__/catalogProcessing';
import {
  createMockDirectory,
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import {
  AuthService,
  BackstageCredentials,
  coreServices,
  createServiceFactory,
} from '@backstage/backend-plugin-api';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import scaffolderEntityModelModule from '@backstage/plugin-catalog-backend-module-scaffolder-entity-model';
import permissionPlugin from '@backstage/plugin-permission-backend';
import scaffolderPlugin from '@backstage/plugin-scaffolder-backend';
import platformCatalogModule from '@cellport/plugin-catalog-backend-module-platform';
import platformPolicyModule, {
  SELF_SERVICE_ACTIONS,
} from '@cellport/plugin-permission-backend-module-platform-policy';
import platformPlugin from '@cellport/plugin-platform-backend';
import platformScaffolderModule from '@cellport/plugin-scaffolder-backend-module-platform';
import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { parse } from 'yaml';

/**
 * The self-service journeys under the production policy (`app-config.production.yaml`'s
 * `cellport.permissions`), with the real permission backend and policy module: users are
 * resolved from the catalog's Users and Groups, and every run goes through the scaffolder's API,
 * as anyone can call it without the form.
 */

const repoRoot = path.resolve(__dirname, '../../..');
const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

// Northwind Commerce and Northwind Data (northwind-retail, northwind-labs and its cell).
const tomas = 'user:default/tomas.berg';
// Meridian Risk AI (meridian-bank and its dedicated cell meridian-dedicated).
const priya = 'user:default/priya.raman';
// Platform SRE, an admin group.
const kwame = 'user:default/kwame.mensah';
// In no group.
const rowan = 'user:default/rowan.reader';

const as = (user: string) => ({
  Authorization: mockCredentials.user.header(user),
});

const sharedTenant = (name: string, owner: string) => ({
  name,
  owner,
  tier: 'basic',
  isolation: 'shared',
  cell: 'cell:default/eu-west-shared-1',
  region: 'eu-west-1',
  residencyPinned: true,
  residencyRegions: ['eu-west-1', 'swedencentral'],
  dataClassification: 'INTERNAL',
  monthlyBudgetUsd: 500,
  requestsPerMinute: 60,
  tokensPerMinute: 20000,
  modelAllowlist: ['modelprofile:default/azure-gpt-4o-mini-eu'],
});

const agent = (name: string, tenant: string, owner: string, model: string) => ({
  name,
  owner,
  tenant: `tenant:default/${tenant}`,
  modelProfiles: [`modelprofile:default/${model}`],
  policy: 'cost',
});

const inference = (name: string, cell: string, owner: string) => ({
  name,
  owner,
  cell: `cell:default/${cell}`,
  model: 'Qwen/Qwen2.5-7B-Instruct',
  precision: 'bf16',
  maxClassification: 'CONFIDENTIAL',
  gpuType: 'L40S-48GB',
  gpuCount: 1,
  tensorParallelism: 1,
  maxContextLength: 16384,
  maxConcurrentSequences: 16,
  minReplicas: 1,
  maxReplicas: 2,
  targetQueueDepth: 8,
});

/**
 * The mock auth service, except that a plugin calling another on a user's behalf sends the
 * user with the plugin as actor, as the real one's on-behalf-of tokens do. The permission
 * backend tells the two apart: it refuses conditional decisions to a user calling it directly.
 */
const onBehalfOfAuth = createServiceFactory({
  service: coreServices.auth,
  deps: { plugin: coreServices.pluginMetadata },
  factory({ plugin }) {
    const auth = mockServices.auth({ pluginId: plugin.getId() });
    const getPluginRequestToken: AuthService['getPluginRequestToken'] =
      async options =>
        auth.isPrincipal(options.onBehalfOf, 'user')
          ? {
              token: mockCredentials.user.token(
                options.onBehalfOf.principal.userEntityRef,
                { actor: { subject: `plugin:${plugin.getId()}` } },
              ),
            }
          : auth.getPluginRequestToken(options);
    return new Proxy(auth, {
      get: (target, key) =>
        key === 'getPluginRequestToken'
          ? getPluginRequestToken
          : Reflect.get(target, key),
    });
  },
});

jest.setTimeout(180_000);

describe('the self-service journeys under the production permission policy', () => {
  const repositories = createMockDirectory();
  let backend: Awaited<ReturnType<typeof startTestBackend>>;

  /**
   * What sign-in puts in a user's token in production (the auth backend's catalog resolver):
   * the user and the groups the catalog says they are a member of.
   */
  async function ownershipFromCatalog(credentials: BackstageCredentials) {
    const userEntityRef = (credentials.principal as { userEntityRef: string })
      .userEntityRef;
    const user = await request(backend.server)
      .get(`/api/catalog/entities/by-name/${userEntityRef.replace(':', '/')}`)
      .set({ Authorization: mockCredentials.service.header() });
    const groups = (user.body.relations ?? [])
      .filter((r: { type: string }) => r.type === 'memberOf')
      .map((r: { targetRef: string }) => r.targetRef);
    return { userEntityRef, ownershipEntityRefs: [userEntityRef, ...groups] };
  }

  beforeAll(async () => {
    backend = await startTestBackend({
      features: [
        permissionPlugin,
        platformPolicyModule,
        platformPlugin,
        catalogPlugin,
        scaffolderEntityModelModule,
        scaffolderPlugin,
        platformCatalogModule,
        platformScaffolderModule,
        onBehalfOfAuth,
        mockServices.userInfo.mock({ getUserInfo: ownershipFromCatalog })
          .factory,
        mockServices.rootConfig.factory({
          data: {
            backend: {
              database: { client: 'better-sqlite3', connection: ':memory:' },
            },
            permission: { enabled: true },
            catalog: {
              processingInterval: CATALOG_PROCESSING_INTERVAL,
              rules: [
                {
                  allow: [
                    'Domain',
                    'Component',
                    'Resource',
                    'Template',
                    'Location',
                    'Group',
                    'User',
                    'System',
                    'API',
                    'Tenant',
                    'Cell',
                    'Agent',
                    'ModelProfile',
                    'InferenceDeployment',
                  ],
                },
              ],
              locations: [
                'catalog-info.yaml',
                'examples/all.yaml',
                'packages/backend/src/__fixtures__/production-permissions.yaml',
                'templates/tenant-cell/template.yaml',
                'templates/agent/template.yaml',
                'templates/inference-deployment/template.yaml',
              ].map(file => ({
                type: 'file',
                target: path.join(repoRoot, file),
              })),
            },
            platform: { reconciler: { enabled: false } },
            cellport: {
              // As in app-config.production.yaml.
              permissions: {
                allowAll: false,
                adminGroups: [
                  'group:default/platform-sre',
                  'group:default/platform-team',
                ],
              },
              catalog: { allowFileLocations: true },
              scaffolder: { localRepositoriesDir: repositories.path },
            },
          },
        }),
      ],
    });
    // Everything the first runs' plans read must be in the catalog before they start: on a
    // loaded machine the catalog processes the example files in no particular order.
    for (const ref of [
      'template/default/tenant-cell',
      'template/default/agent',
      'template/default/inference-deployment',
      'user/default/rowan.reader',
      'user/default/tomas.berg',
      'user/default/priya.raman',
      'user/default/kwame.mensah',
      'cell/default/northwind-labs-dedicated',
      'cell/default/eu-west-shared-1',
      'modelprofile/default/azure-gpt-4o-mini-eu',
      'group/default/northwind-data',
      'group/default/meridian-risk-ai',
      'tenant/default/meridian-bank',
    ]) {
      if ((await waitForEntity(ref)) !== 200) {
        throw new Error(`${ref} never reached the catalog`);
      }
    }
  });

  afterAll(async () => {
    await backend?.stop();
  });

  async function waitForEntity(ref: string): Promise<number> {
    for (let attempt = 0; attempt < 120; attempt++) {
      const res = await request(backend.server)
        .get(`/api/catalog/entities/by-name/${ref}`)
        .set({ Authorization: mockCredentials.service.header() });
      if (res.status === 200 && res.body.relations) return 200;
      await sleep(500);
    }
    return 404;
  }

  /** Starts a template as `user` through the scaffolder's API and waits for the run to end. */
  async function run(user: string, template: string, values: object) {
    const created = await request(backend.server)
      .post('/api/scaffolder/v2/tasks')
      .set(as(user))
      .send({ templateRef: `template:default/${template}`, values });
    expect(created.status).toBe(201);
    for (let attempt = 0; attempt < 240; attempt++) {
      const task = await request(backend.server)
        .get(`/api/scaffolder/v2/tasks/${created.body.id}`)
        .set(as(user));
      if (['completed', 'failed'].includes(task.body.status)) {
        const events = await request(backend.server)
          .get(`/api/scaffolder/v2/tasks/${created.body.id}/events`)
          .set(as(user));
        return {
          status: task.body.status as string,
          log: events.body.map((e: any) => e.body.message ?? '').join('\n'),
          output: events.body.find((e: any) => e.type === 'completion')?.body
            ?.output,
        };
      }
      await sleep(500);
    }
    throw new Error(`task ${created.body.id} never finished`);
  }

  /** Reveals the key a run made, through the link in its output, as `user`. */
  async function revealKey(
    result: Awaited<ReturnType<typeof run>>,
    user: string,
  ) {
    const link = result.output.links.find((l: { url?: string }) =>
      l.url?.includes('/api-keys/reveal/'),
    );
    return request(backend.server)
      .post(`/api/platform/api-keys/reveals/${link.url.split('/').pop()}`)
      .set(as(user));
  }

  /** A run that went through; on failure, jest shows its log. */
  function expectCompleted(result: Awaited<ReturnType<typeof run>>) {
    // The log rides along, so that a failed run says why.
    expect({
      status: result.status,
      log: result.status === 'completed' ? '' : result.log,
    }).toEqual({ status: 'completed', log: '' });
    expect(result.log).not.toContain('may not');
  }

  /** A refused run: failed on its plan step with `message`, no stack trace, nothing published. */
  function expectRefused(
    result: Awaited<ReturnType<typeof run>>,
    message: string,
    repository: string,
  ) {
    expect(result.status).toBe('failed');
    expect(result.log).toContain(message);
    expect(result.log).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
    expect(fs.existsSync(path.join(repositories.path, repository))).toBe(false);
  }

  it('runs no action outside the ones the templates use', () => {
    const used = [
      'tenant-cell',
      'agent',
      'inference-deployment',
      'agent-change',
    ].flatMap(name =>
      parse(
        fs.readFileSync(
          path.join(repoRoot, 'templates', name, 'template.yaml'),
          'utf8',
        ),
      ).spec.steps.map((step: { action: string }) => step.action),
    );
    expect(SELF_SERVICE_ACTIONS).toEqual(
      expect.arrayContaining([...new Set(used)]),
    );
  });

  it('lets a user in no group read the catalog and the templates, and run none', async () => {
    const tenant = await request(backend.server)
      .get('/api/catalog/entities/by-name/tenant/default/northwind-retail')
      .set(as(rowan));
    expect(tenant.status).toBe(200);
    const schema = await request(backend.server)
      .get(
        '/api/scaffolder/v2/templates/default/template/tenant-cell/parameter-schema',
      )
      .set(as(rowan));
    expect(schema.status).toBe(200);
    const created = await request(backend.server)
      .post('/api/scaffolder/v2/tasks')
      .set(as(rowan))
      .send({
        templateRef: 'template:default/tenant-cell',
        values: sharedTenant('rowans-tenant', 'group:default/northwind-data'),
      });
    expect(created.status).toBe(403);
    expect(created.body.error.name).toBe('NotAllowedError');
  });

  it("lets each user onboard a tenant their group owns, and not one the other's group owns", async () => {
    const own = await run(
      tomas,
      'tenant-cell',
      sharedTenant('tomas-tenant', 'group:default/northwind-data'),
    );
    expectCompleted(own);
    expect(await waitForEntity('tenant/default/tomas-tenant')).toBe(200);

    const priyasOwn = await run(
      priya,
      'tenant-cell',
      sharedTenant('priya-tenant', 'group:default/meridian-risk-ai'),
    );
    expectCompleted(priyasOwn);

    expectRefused(
      await run(
        priya,
        'tenant-cell',
        sharedTenant('priya-for-northwind', 'group:default/northwind-data'),
      ),
      "user:default/priya.raman may not onboard tenant priya-for-northwind for owner group:default/northwind-data: only members of that group or of the platform's admin groups may.",
      'tenant-priya-for-northwind',
    );
    expectRefused(
      await run(tomas, 'tenant-cell', {
        ...sharedTenant('tomas-for-meridian', 'meridian-risk-ai'),
      }),
      'user:default/tomas.berg may not onboard tenant tomas-for-meridian for owner meridian-risk-ai',
      'tenant-tomas-for-meridian',
    );

    // The plan's own checks still apply to what one may do.
    expectRefused(
      await run(tomas, 'tenant-cell', {
        ...sharedTenant('tomas-leaky', 'group:default/northwind-data'),
        modelAllowlist: ['modelprofile:default/gpt-4o-mini'],
      }),
      'modelAllowlist[0]: gpt-4o-mini serves from us, outside the pinned residency',
      'tenant-tomas-leaky',
    );

    // The key is revealed to whoever ran the template, and to no one else.
    expect((await revealKey(own, priya)).status).toBe(403);
    const revealed = await revealKey(own, tomas);
    expect(revealed.status).toBe(200);

    // Its keys are rotated by the tenant's owners (and the admin groups), not by others.
    const rotate = (user: string) =>
      request(backend.server)
        .post('/api/platform/api-keys/rotate')
        .set(as(user))
        .send({
          tenant: 'tomas-tenant',
          prefix: revealed.body.apiKey.slice(0, 10),
        });
    expect((await rotate(priya)).status).toBe(403);
    expect((await rotate(tomas)).status).toBe(201);
  });

  it('lets nobody outside the admin groups register a catalog location: a hand-written agent for another tenant never lands', async () => {
    // Priya writes an Agent into Tomas's tenant, with a key of her own, and registers the file
    // herself instead of running the template (whose plan step would refuse her).
    const file = path.join(
      repositories.path,
      'priya-by-hand',
      'catalog-info.yaml',
    );
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(
      file,
      `apiVersion: cellport.dev/v1alpha1
kind: Agent
metadata:
  name: borrowed-agent
  annotations:
    cellport.dev/api-keys: '[{"sha256":"${'a'.repeat(
      64,
    )}","prefix":"cp-borrow"}]'
spec:
  owner: group:default/northwind-commerce
  tenant: northwind-retail
  cell: eu-west-shared-1
  modelProfiles: [azure-gpt-4o-mini-eu]
`,
    );
    for (const user of [priya, tomas]) {
      const registered = await request(backend.server)
        .post('/api/catalog/locations')
        .set(as(user))
        .send({ type: 'file', target: file });
      expect(registered.status).toBe(403);
    }
    const entity = await request(backend.server)
      .get('/api/catalog/entities/by-name/agent/default/borrowed-agent')
      .set(as(tomas));
    expect(entity.status).toBe(404);
  });

  it("lets each user register agents for their groups' tenants only", async () => {
    const own = await run(
      tomas,
      'agent',
      agent(
        'tomas-agent',
        'northwind-retail',
        'group:default/northwind-commerce',
        'azure-gpt-4o-mini-eu',
      ),
    );
    expectCompleted(own);
    expect(await waitForEntity('agent/default/tomas-agent')).toBe(200);
    expect((await revealKey(own, priya)).status).toBe(403);
    expect((await revealKey(own, tomas)).status).toBe(200);
    const priyasOwn = await run(
      priya,
      'agent',
      agent(
        'priya-agent',
        'meridian-bank',
        'group:default/meridian-risk-ai',
        'llama-3-1-70b-meridian',
      ),
    );
    expectCompleted(priyasOwn);

    expectRefused(
      await run(
        priya,
        'agent',
        agent(
          'priya-on-northwind',
          'northwind-retail',
          'group:default/meridian-risk-ai',
          'azure-gpt-4o-mini-eu',
        ),
      ),
      "user:default/priya.raman may not register agents for tenant northwind-retail: it is owned by group:northwind-commerce, and only its owners or the platform's admin groups may.",
      'agent-priya-on-northwind',
    );
    expectRefused(
      await run(
        tomas,
        'agent',
        agent(
          'tomas-on-meridian',
          'meridian-bank',
          'group:default/northwind-commerce',
          'llama-3-1-70b-meridian',
        ),
      ),
      'user:default/tomas.berg may not register agents for tenant meridian-bank: it is owned by group:meridian-risk-ai',
      'agent-tomas-on-meridian',
    );
  });

  it("lets only a dedicated cell's tenant owners plan inference deployments on it", async () => {
    const own = await run(
      tomas,
      'inference-deployment',
      inference(
        'tomas-qwen',
        'northwind-labs-dedicated',
        'group:default/northwind-data',
      ),
    );
    expectCompleted(own);

    expectRefused(
      await run(
        priya,
        'inference-deployment',
        inference(
          'priya-on-labs',
          'northwind-labs-dedicated',
          'group:default/meridian-risk-ai',
        ),
      ),
      "user:default/priya.raman may not plan inference deployments on cell northwind-labs-dedicated: it is a dedicated cell of tenant northwind-labs (owned by group:northwind-data), and only that tenant's owners or the platform's admin groups may use it.",
      'inference-priya-on-labs',
    );
    expectRefused(
      await run(
        tomas,
        'inference-deployment',
        inference(
          'tomas-on-meridian',
          'meridian-dedicated',
          'group:default/northwind-data',
        ),
      ),
      'user:default/tomas.berg may not plan inference deployments on cell meridian-dedicated: it is a dedicated cell of tenant meridian-bank (owned by group:meridian-risk-ai)',
      'inference-tomas-on-meridian',
    );
    // Priya may use her cell: what stops her is its full GPU pool, not who she is.
    const priyasOwn = await run(
      priya,
      'inference-deployment',
      inference(
        'priya-on-meridian',
        'meridian-dedicated',
        'group:default/meridian-risk-ai',
      ),
    );
    expect(priyasOwn.status).toBe('failed');
    expect(priyasOwn.log).not.toContain('may not');
    expect(priyasOwn.log).toContain('cell meridian-dedicated has 8 GPUs');
  });

  it('lets the admin groups do all of it, for any group', async () => {
    const runs = [
      await run(
        kwame,
        'tenant-cell',
        sharedTenant(
          'kwame-for-brightpath',
          'group:default/brightpath-learning',
        ),
      ),
      await run(
        kwame,
        'agent',
        agent(
          'kwame-on-meridian',
          'meridian-bank',
          'group:default/meridian-risk-ai',
          'llama-3-1-70b-meridian',
        ),
      ),
      await run(
        kwame,
        'inference-deployment',
        inference(
          'kwame-on-labs',
          'northwind-labs-dedicated',
          'group:default/northwind-data',
        ),
      ),
    ];
    const completed = expect.objectContaining({ status: 'completed' });
    expect(runs).toEqual([completed, completed, completed]);
  });
});
