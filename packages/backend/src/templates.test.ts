import { CATALOG_PROCESSING_INTERVAL } from './__testUtils__/catalogProcessing';
import {
  createMockDirectory,
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import scaffolderPlugin from '@backstage/plugin-scaffolder-backend';
import scaffolderEntityModelModule from '@backstage/plugin-catalog-backend-module-scaffolder-entity-model';
import platformCatalogModule from '@cellport/plugin-catalog-backend-module-platform';
import platformScaffolderModule from '@cellport/plugin-scaffolder-backend-module-platform';
import platformPlugin from '@cellport/plugin-platform-backend';
import localRuntimeModule from '@cellport/plugin-platform-backend-module-local-runtime';
import { createGateway, Gateway, readGatewayConfig } from '@cellport/gateway';
import { SimulatorServer } from '@cellport/simulator';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import request from 'supertest';
import { parse, parseAllDocuments, stringify } from 'yaml';

const repoRoot = path.resolve(__dirname, '../../..');

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise(resolve => server.close(resolve));
  return port;
}
const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

const inferenceTemplate = parse(
  fs.readFileSync(
    path.join(repoRoot, 'templates/inference-deployment/template.yaml'),
    'utf8',
  ),
);

const fitting = {
  name: 'qwen2-5-7b-eu',
  owner: 'group:default/northwind-data',
  cell: 'cell:default/eu-west-shared-1',
  model: 'Qwen/Qwen2.5-7B-Instruct',
  precision: 'bf16',
  maxClassification: 'CONFIDENTIAL',
  gpuType: 'L40S-48GB',
  gpuCount: 1,
  tensorParallelism: 1,
  maxContextLength: 16384,
  maxConcurrentSequences: 16,
  minReplicas: 1,
  maxReplicas: 3,
  targetQueueDepth: 8,
};

jest.setTimeout(180_000);

describe('the self-service templates through the scaffolder', () => {
  const repositories = createMockDirectory();
  let backend: Awaited<ReturnType<typeof startTestBackend>>;
  const auth = { Authorization: mockCredentials.user.header() };
  // The shared cell's gateway, a real one, in front of the simulator: the templates provision
  // it through the platform backend's reconciler, and the tests call it with the keys they print.
  const simulator = new SimulatorServer({
    port: 0,
    defaults: { ttftMs: 0, tokensPerSecond: 0 },
  });
  const adminToken = 'templates-test-admin-token';
  let gateway: Gateway;
  let gatewayUrl: string;
  // Where the portal's local runtime keeps its gateways' ports and spools in this test.
  const localRuntime = createMockDirectory();
  const gatewaySpool = createMockDirectory();

  beforeAll(async () => {
    const simulatorUrl = await simulator.start();
    const firstLocalPort = await freePort();
    // The gateway starts after the backend, which it sends its events to; the backend's
    // config names the gateway's port beforehand.
    const gatewayPort = await freePort();
    gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
    backend = await startTestBackend({
      features: [
        platformPlugin,
        localRuntimeModule,
        catalogPlugin,
        scaffolderEntityModelModule,
        scaffolderPlugin,
        platformCatalogModule,
        platformScaffolderModule,
        // Each plugin gets its own in-memory SQLite database, as in the embedded default.
        mockServices.rootConfig.factory({
          data: {
            backend: {
              database: { client: 'better-sqlite3', connection: ':memory:' },
            },
            catalog: {
              processingInterval: CATALOG_PROCESSING_INTERVAL,
              rules: [
                {
                  allow: [
                    'Domain',
                    'System',
                    'Component',
                    'API',
                    'Resource',
                    'Template',
                    'Location',
                    'Group',
                    'User',
                    'Tenant',
                    'Cell',
                    'Agent',
                    'ModelProfile',
                    'InferenceDeployment',
                  ],
                },
              ],
              locations: [
                {
                  type: 'file',
                  target: path.join(repoRoot, 'catalog-info.yaml'),
                },
                {
                  type: 'file',
                  target: path.join(repoRoot, 'examples/all.yaml'),
                },
                ...[
                  'inference-deployment',
                  'tenant-cell',
                  'agent',
                  'agent-change',
                ].map(name => ({
                  type: 'file',
                  target: path.join(
                    repoRoot,
                    'templates',
                    name,
                    'template.yaml',
                  ),
                })),
              ],
            },
            platform: {
              reconciler: {
                // Only the templates' reconcile step pushes, so the tests see what it did.
                enabled: false,
                adminToken,
                gateways: { 'eu-west-shared-1': { baseUrl: gatewayUrl } },
              },
              // The embedded default's runtime: every other cell gets a gateway process.
              localRuntime: {
                enabled: true,
                stateDir: localRuntime.path,
                upstreamOrigin: simulatorUrl,
                firstPort: firstLocalPort,
                syncIntervalSeconds: 1,
              },
            },
            cellport: {
              catalog: { allowFileLocations: true },
              scaffolder: { localRepositoriesDir: repositories.path },
            },
          },
        }),
      ],
    });
    // Every routing decision and usage event goes to the backend's ingest route, as in
    // production: the dashboards read what the gateway recorded.
    gateway = await createGateway(
      readGatewayConfig({
        GATEWAY_PORT: String(gatewayPort),
        GATEWAY_ID: 'eu-west-shared-1',
        GATEWAY_ADMIN_TOKEN: adminToken,
        GATEWAY_UPSTREAM_ORIGIN_OVERRIDE: simulatorUrl,
        GATEWAY_EVENTS_URL: `http://127.0.0.1:${
          (backend.server.address() as net.AddressInfo).port
        }`,
        GATEWAY_EVENTS_TOKEN: mockCredentials.service.token({
          onBehalfOf: mockCredentials.service('external:gateway-eu-west'),
          targetPluginId: 'platform',
        }),
        GATEWAY_SPOOL_DIR: gatewaySpool.path,
        LOG_LEVEL: 'silent',
      }),
    );
    const started = (await gateway.start()).replace(/\/$/, '');
    if (started !== gatewayUrl) {
      throw new Error(`the gateway answers at ${started}, not ${gatewayUrl}`);
    }
    // Wait until the template and the cell it targets are in the catalog.
    const statuses = await Promise.all([
      waitForEntity('template/default/inference-deployment'),
      waitForEntity('template/default/tenant-cell'),
      waitForEntity('template/default/agent'),
      waitForEntity('cell/default/eu-west-shared-1'),
    ]);
    if (statuses.every(status => status === 200)) return;
    throw new Error('the template and the demo cell never reached the catalog');
  });

  afterAll(async () => {
    await backend?.stop();
    await gateway?.stop();
    await simulator.stop();
  });

  /** Polls the catalog for an entity; the HTTP status it last answered. */
  async function waitForEntity(ref: string): Promise<number> {
    for (let attempt = 0; attempt < 120; attempt++) {
      const res = await request(backend.server)
        .get(`/api/catalog/entities/by-name/${ref}`)
        .set(auth);
      if (res.status === 200) return 200;
      await sleep(500);
    }
    return 404;
  }

  /** Waits for a scaffolder task to end: its status, its log and its output. */
  async function waitForTask(id: string) {
    for (let attempt = 0; attempt < 120; attempt++) {
      const task = await request(backend.server)
        .get(`/api/scaffolder/v2/tasks/${id}`)
        .set(auth);
      if (['completed', 'failed'].includes(task.body.status)) {
        const events = await request(backend.server)
          .get(`/api/scaffolder/v2/tasks/${id}/events`)
          .set(auth);
        return {
          id,
          status: task.body.status,
          log: events.body.map((e: any) => e.body.message ?? '').join('\n'),
          output: events.body.find((e: any) => e.type === 'completion')?.body
            ?.output,
        };
      }
      await sleep(500);
    }
    throw new Error(`task ${id} never finished`);
  }

  async function runTask(
    values: object,
    templateRef = 'template:default/inference-deployment',
  ) {
    const created = await request(backend.server)
      .post('/api/scaffolder/v2/tasks')
      .set(auth)
      .send({ templateRef, values });
    expect(created.status).toBe(201);
    return waitForTask(created.body.id);
  }

  /** Retries a finished or failed task, as its task page's Retry does, and waits for it. */
  async function retryTask(id: string) {
    const retried = await request(backend.server)
      .post(`/api/scaffolder/v2/tasks/${id}/retry`)
      .set(auth)
      .send({});
    expect(retried.status).toBe(201);
    return waitForTask(id);
  }

  /** Reveals a run's one-time API key through the link in its output. */
  async function revealKey(output: any, title = 'Reveal the API key (once)') {
    const revealUrl: string = output.links.find(
      (link: { title: string }) => link.title === title,
    ).url;
    return request(backend.server)
      .post(`/api/platform/api-keys/reveals/${revealUrl.split('/').pop()}`)
      .set(auth);
  }

  it('shows the files it would write in a dry run, and writes nothing', async () => {
    const res = await request(backend.server)
      .post('/api/scaffolder/v2/dry-run')
      .set(auth)
      .send({
        template: inferenceTemplate,
        values: fitting,
        directoryContents: [],
      });
    expect(res.status).toBe(200);
    const files = Object.fromEntries(
      res.body.directoryContents.map((f: any) => [
        f.path,
        Buffer.from(f.base64Content, 'base64').toString('utf8'),
      ]),
    );
    expect(Object.keys(files).sort()).toEqual([
      'catalog-info.yaml',
      'kubernetes/qwen2-5-7b-eu.yaml',
    ]);
    expect(
      parseAllDocuments(files['catalog-info.yaml']).map(d => d.toJS().kind),
    ).toEqual(['InferenceDeployment', 'ModelProfile']);
    expect(fs.readdirSync(repositories.path)).toEqual([]);
  });

  it('registers a deployment that fits, and the catalog serves it', async () => {
    const run = await runTask(fitting);
    expect(run.status).toBe('completed');
    expect(run.log).toMatch(/Fits: needs 30\.7 GiB per GPU/);
    expect(await waitForEntity('modelprofile/default/qwen2-5-7b-eu')).toBe(200);
  });

  it('refuses a deployment that cannot fit before writing anything', async () => {
    const run = await runTask({
      ...fitting,
      name: 'llama-on-l4',
      model: 'meta-llama/Llama-3.1-70B-Instruct',
      gpuType: 'L4-24GB',
      gpuCount: 2,
      tensorParallelism: 2,
    });
    expect(run.status).toBe('failed');
    expect(run.log).toMatch(
      /Does not fit: needs .* GiB more than the 21\.6 GiB usable on an NVIDIA L4 24 GB/,
    );
    expect(run.log).toMatch(
      /Skipping step publish because a previous step failed/,
    );
    expect(
      fs.existsSync(path.join(repositories.path, 'inference-llama-on-l4')),
    ).toBe(false);
  });

  it("refuses a deployment its cell's GPU pool cannot hold, with the plan's message and no stack trace", async () => {
    // The deployment that fills Meridian's pool must be in the catalog for the plan to count it.
    expect(
      await waitForEntity('inferencedeployment/default/llama-3-1-70b-meridian'),
    ).toBe(200);
    const run = await runTask({
      ...fitting,
      name: 'qwen-on-meridian',
      owner: 'group:default/meridian-risk-ai',
      cell: 'cell:default/meridian-dedicated',
    });
    expect(run.status).toBe('failed');
    expect(run.log).toContain(
      'cell meridian-dedicated has 8 GPUs; its deployments use up to 8 at max replicas and this one needs 3 more (1 GPU × 3 replicas): 3 GPUs short.',
    );
    expect(run.log).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
  });

  const contoso = {
    name: 'contoso-travel',
    displayName: 'Contoso Travel',
    owner: 'group:default/northwind-data',
    tier: 'basic',
    isolation: 'shared',
    cell: 'cell:default/eu-west-shared-1',
    region: 'eu-west-1',
    residencyPinned: true,
    residencyRegions: ['eu-west-1', 'swedencentral'],
    dataClassification: 'INTERNAL',
    monthlyBudgetUsd: 1200,
    requestsPerMinute: 300,
    tokensPerMinute: 200000,
    modelAllowlist: ['modelprofile:default/azure-gpt-4o-mini-eu'],
  };

  it('onboards a tenant into a shared cell, and the catalog relates them', async () => {
    const run = await runTask(contoso, 'template:default/tenant-cell');
    expect(run.log).toMatch(
      /contoso-travel joins the shared cell eu-west-shared-1/,
    );
    expect(run.status).toBe('completed');
    expect(await waitForEntity('tenant/default/contoso-travel')).toBe(200);
    const tenant = await request(backend.server)
      .get('/api/catalog/entities/by-name/tenant/default/contoso-travel')
      .set(auth);
    expect(tenant.body.relations).toContainEqual({
      type: 'hostedBy',
      targetRef: 'cell:default/eu-west-shared-1',
    });
    // The run printed no key, only a link that reveals it once to whoever ran the template;
    // the tenant holds only its hash.
    const shown = JSON.stringify(run.output);
    expect(shown).not.toMatch(/cpk_[A-Za-z0-9_-]{32}/);
    expect(run.log).not.toMatch(/cpk_[A-Za-z0-9_-]{32}/);
    expect(run.output.links).toContainEqual(
      expect.objectContaining({
        title: 'Reveal the API key (once)',
        url: expect.stringMatching(/^\/api-keys\/reveal\/[A-Za-z0-9_-]{43}$/),
      }),
    );
    const revealed = await revealKey(run.output);
    expect(revealed.status).toBe(200);
    const key: string = revealed.body.apiKey;
    expect((await revealKey(run.output)).status).toBe(404);
    const hashes = JSON.parse(
      tenant.body.metadata.annotations['cellport.dev/api-keys'],
    );
    expect(hashes).toEqual([
      {
        sha256: createHash('sha256').update(key).digest('hex'),
        prefix: key.slice(0, 10),
        createdAt: expect.any(String),
      },
    ]);
    expect(JSON.stringify(tenant.body)).not.toContain(key);

    // The run provisioned the cell's gateway: the revealed key works at once.
    expect(shown).toContain(
      `The gateway of the cell, \`${gatewayUrl}/v1\`, knows the key now`,
    );
    expect(revealed.body.gateway).toEqual({
      cell: 'eu-west-shared-1',
      url: gatewayUrl,
      status: { source: 'config', state: 'running' },
    });
    const models = await fetch(`${gatewayUrl}/v1/models`, {
      headers: { authorization: `Bearer ${key}` },
    });
    expect(models.status).toBe(200);
    expect(((await models.json()) as any).data.map((m: any) => m.id)).toEqual([
      'auto',
      'azure-gpt-4o-mini-eu',
    ]);
    const completion = await fetch(`${gatewayUrl}/v1/chat/completions`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${key}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({
        model: 'azure-gpt-4o-mini-eu',
        messages: [{ role: 'user', content: 'Plan a trip to Lisbon' }],
        max_tokens: 16,
      }),
    });
    expect(completion.status).toBe(200);
    const answer = (await completion.json()) as any;
    expect(answer.choices[0].message.content).toEqual(expect.any(String));
    expect(answer.usage.completion_tokens).toBeGreaterThan(0);
    // A key nobody was given is refused.
    const unknown = await fetch(`${gatewayUrl}/v1/models`, {
      headers: { authorization: 'Bearer cpk_not-a-key-anyone-was-given' },
    });
    expect(unknown.status).toBe(401);
  });

  it('onboards a dedicated tenant with a cell of its own', async () => {
    const run = await runTask(
      {
        ...contoso,
        name: 'acme-bank',
        displayName: 'Acme Bank',
        tier: 'enterprise',
        isolation: 'dedicated',
        cell: undefined,
        cloud: 'aws',
        region: 'us-east-1',
        cluster: 'eks-us-east-1-acme',
        residencyRegions: ['us-east-1', 'eastus'],
        dataClassification: 'CONFIDENTIAL',
        modelAllowlist: ['modelprofile:default/azure-gpt-4o-us'],
      },
      'template:default/tenant-cell',
    );
    expect(run.status).toBe('completed');
    expect(await waitForEntity('cell/default/acme-bank-dedicated')).toBe(200);
    expect(
      fs.existsSync(
        path.join(
          repositories.path,
          'tenant-acme-bank/kubernetes/acme-bank-dedicated/acme-bank.yaml',
        ),
      ),
    ).toBe(true);

    // The new cell got a gateway process from the portal's local runtime, the run waited
    // for it and pushed the tenant there, and named where it answers.
    const revealed = await revealKey(run.output);
    expect(revealed.status).toBe(200);
    const { url } = revealed.body.gateway;
    expect(revealed.body.gateway).toEqual({
      cell: 'acme-bank-dedicated',
      url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
      status: { source: 'local-runtime', state: 'running' },
    });
    expect(JSON.stringify(run.output)).toContain(
      `The gateway of the cell, \`${url}/v1\`, knows the key now`,
    );
    const completion = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${revealed.body.apiKey}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({
        model: 'azure-gpt-4o-us',
        messages: [{ role: 'user', content: 'Summarise my statement' }],
        max_tokens: 16,
      }),
    });
    expect(completion.status).toBe(200);
    const runtime = await request(backend.server)
      .get('/api/platform/cells/acme-bank-dedicated/runtime')
      .set(auth);
    expect(runtime.body).toMatchObject({
      gatewayUrl: url,
      gateway: { source: 'local-runtime', state: 'running' },
      inSync: true,
    });
  });

  it("refuses a shared tenant another tenant's dedicated model, through the scaffolder API", async () => {
    const run = await runTask(
      {
        ...contoso,
        name: 'greedy-co',
        cell: 'cell:default/us-east-shared-1',
        region: 'us-east-1',
        residencyPinned: false,
        modelAllowlist: ['modelprofile:default/llama-3-1-70b-meridian'],
      },
      'template:default/tenant-cell',
    );
    expect(run.status).toBe('failed');
    expect(run.log).toMatch(
      /modelAllowlist\[0\]: llama-3-1-70b-meridian is private capacity of the dedicated cell "meridian-dedicated" \(tenants: meridian-bank\)/,
    );
    expect(
      fs.existsSync(path.join(repositories.path, 'tenant-greedy-co')),
    ).toBe(false);
  });

  it('refuses an allowlist that crosses the residency, registering nothing', async () => {
    const run = await runTask(
      {
        ...contoso,
        name: 'leaky-co',
        modelAllowlist: ['modelprofile:default/gpt-4o-mini'],
      },
      'template:default/tenant-cell',
    );
    expect(run.status).toBe('failed');
    expect(run.log).toMatch(
      /modelAllowlist\[0\]: gpt-4o-mini serves from us, outside the pinned residency eu-west-1, swedencentral/,
    );
    expect(fs.existsSync(path.join(repositories.path, 'tenant-leaky-co'))).toBe(
      false,
    );
  });

  it('registers an agent of the onboarded tenant and says how to call it', async () => {
    const run = await runTask(
      {
        name: 'itinerary-planner',
        owner: 'group:default/northwind-data',
        tenant: 'tenant:default/contoso-travel',
        modelProfiles: ['modelprofile:default/azure-gpt-4o-mini-eu'],
        policy: 'cost',
        requiredCapabilities: ['tools'],
        tools: ['flight-search'],
        maxCostPerRunUsd: 0.02,
      },
      'template:default/agent',
    );
    expect(run.status).toBe('completed');
    expect(await waitForEntity('agent/default/itinerary-planner')).toBe(200);
    const agent = await request(backend.server)
      .get('/api/catalog/entities/by-name/agent/default/itinerary-planner')
      .set(auth);
    expect(agent.body.spec.cell).toBe('eu-west-shared-1');

    // Its routing reached the cell's gateway in the same run.
    const state = await fetch(`${gatewayUrl}/control/state`, {
      headers: { authorization: `Bearer ${adminToken}` },
    });
    expect(state.status).toBe(200);
    const pushed = (await state.json()) as any;
    expect(
      pushed.agents.find((a: any) => a.id === 'itinerary-planner'),
    ).toMatchObject({ tenant: 'contoso-travel' });

    // It has a key of its own, revealed once, whose hash only is in the Agent and the gateway.
    const revealed = await revealKey(
      run.output,
      "Reveal the agent's API key (once)",
    );
    expect(revealed.status).toBe(200);
    const key: string = revealed.body.apiKey;
    expect(
      (await revealKey(run.output, "Reveal the agent's API key (once)")).status,
    ).toBe(404);
    expect(revealed.body).toMatchObject({
      tenant: 'tenant:default/contoso-travel',
      agent: 'agent:default/itinerary-planner',
      gateway: { cell: 'eu-west-shared-1', url: gatewayUrl },
    });
    const sha256 = createHash('sha256').update(key).digest('hex');
    expect(
      JSON.parse(agent.body.metadata.annotations['cellport.dev/api-keys']),
    ).toEqual([
      { sha256, prefix: key.slice(0, 10), createdAt: expect.any(String) },
    ]);
    expect(pushed.apiKeys).toContainEqual({
      sha256,
      prefix: key.slice(0, 10),
      tenant: 'contoso-travel',
      agent: 'itinerary-planner',
    });
    // The run says where to call: the cell's gateway, not a made-up URL.
    const shown = run.output.text.map((t: any) => t.content).join('\n');
    expect(shown).toContain(
      `Base URL: \`${gatewayUrl}/v1\`, which knows the key now`,
    );
    expect(JSON.stringify(run.output)).not.toContain(key);

    // A call with that key is the agent's: the gateway's decision, sent to the portal, names
    // it, and the agent's dashboard counts it.
    const completion = await fetch(`${gatewayUrl}/v1/chat/completions`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${key}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({
        model: 'azure-gpt-4o-mini-eu',
        messages: [{ role: 'user', content: 'Flights to Porto on Friday?' }],
        max_tokens: 16,
      }),
    });
    expect(completion.status).toBe(200);
    let decisions: any[] = [];
    for (let attempt = 0; attempt < 120 && decisions.length === 0; attempt++) {
      await sleep(500);
      const page = await request(backend.server)
        .get('/api/platform/decisions?agent=itinerary-planner')
        .set(auth);
      decisions = page.body.items ?? [];
    }
    expect(decisions).toEqual([
      expect.objectContaining({
        tenant: 'contoso-travel',
        agent: 'itinerary-planner',
        cell: 'eu-west-shared-1',
      }),
    ]);
    const traffic = await request(backend.server)
      .get('/api/platform/traffic?agent=itinerary-planner')
      .set(auth);
    expect(traffic.body.requests).toBe(1);

    // Its owner rotates the key from the Agent page: the new key is revealed once to them and
    // the cell's real gateway takes it at once; the old one keeps working until its expiresAt.
    const rotated = await request(backend.server)
      .post('/api/platform/api-keys/rotate')
      .set(auth)
      .send({ tenant: 'contoso-travel', prefix: key.slice(0, 10) });
    expect(rotated.status).toBe(201);
    expect(rotated.body.gatewaySynced).toBe(true);
    const next = await request(backend.server)
      .post(
        `/api/platform/api-keys/reveals/${rotated.body.revealUrl
          .split('/')
          .pop()}`,
      )
      .set(auth);
    expect(next.status).toBe(200);
    expect(next.body.agent).toBe('agent:default/itinerary-planner');
    for (const bearer of [key, next.body.apiKey]) {
      const models = await fetch(`${gatewayUrl}/v1/models`, {
        headers: { authorization: `Bearer ${bearer}` },
      });
      expect(models.status).toBe(200);
    }
    const now = await fetch(`${gatewayUrl}/control/state`, {
      headers: { authorization: `Bearer ${adminToken}` },
    });
    expect(
      ((await now.json()) as any).apiKeys.find((k: any) => k.sha256 === sha256),
    ).toMatchObject({
      agent: 'itinerary-planner',
      expiresAt: rotated.body.replaced.expiresAt,
    });

    // Whoever can push to the agent's repository moves it, with its keys, to another tenant
    // of the cell and adds a key of their own. No gateway serves either: the portal issued
    // the one to contoso-travel's agent, and never the other.
    const handMade = `cpk_${'h'.repeat(40)}`;
    const file = agent.body.metadata.annotations[
      'backstage.io/managed-by-location'
    ].replace(/^file:/, '');
    const edited = parse(fs.readFileSync(file, 'utf8'));
    edited.spec.tenant = 'tenant:default/northwind-retail';
    edited.metadata.annotations['cellport.dev/api-keys'] = JSON.stringify([
      ...JSON.parse(edited.metadata.annotations['cellport.dev/api-keys']),
      {
        sha256: createHash('sha256').update(handMade).digest('hex'),
        prefix: handMade.slice(0, 10),
      },
    ]);
    fs.writeFileSync(file, stringify(edited));
    for (let attempt = 0; attempt < 120; attempt++) {
      const seen = await request(backend.server)
        .get('/api/catalog/entities/by-name/agent/default/itinerary-planner')
        .set(auth);
      if (seen.body.spec.tenant === 'tenant:default/northwind-retail') break;
      await sleep(500);
    }
    const pushedAgain = await request(backend.server)
      .post('/api/platform/cells/eu-west-shared-1/runtime/reconcile')
      .set(auth);
    expect(pushedAgain.status).toBe(200);
    for (const bearer of [key, next.body.apiKey, handMade]) {
      const models = await fetch(`${gatewayUrl}/v1/models`, {
        headers: { authorization: `Bearer ${bearer}` },
      });
      expect(models.status).toBe(401);
    }
    // The Agent page lists both annotations with why they do not serve.
    const listed = await request(backend.server)
      .get('/api/platform/api-keys?agent=itinerary-planner')
      .set(auth);
    expect(
      listed.body.items
        .filter((k: any) => k.notServed)
        .map((k: any) => [k.prefix, k.notServed]),
    ).toEqual([
      [key.slice(0, 10), 'issued-to-another'],
      [handMade.slice(0, 10), 'not-issued'],
    ]);
    // Northwind's owner rotates the key the portal never issued: the new key, revealed to them
    // alone, works; the hand-made one still does not. The key issued to contoso-travel's
    // agent is not theirs to end.
    const replaced = await request(backend.server)
      .post('/api/platform/api-keys/rotate')
      .set(auth)
      .send({ tenant: 'northwind-retail', prefix: handMade.slice(0, 10) });
    expect(replaced.status).toBe(201);
    const working = await request(backend.server)
      .post(
        `/api/platform/api-keys/reveals/${replaced.body.revealUrl
          .split('/')
          .pop()}`,
      )
      .set(auth);
    for (const [bearer, status] of [
      [working.body.apiKey, 200],
      [handMade, 401],
    ]) {
      const models = await fetch(`${gatewayUrl}/v1/models`, {
        headers: { authorization: `Bearer ${bearer}` },
      });
      expect(models.status).toBe(status);
    }
    const notTheirs = await request(backend.server)
      .post('/api/platform/api-keys/rotate')
      .set(auth)
      .send({ tenant: 'northwind-retail', prefix: key.slice(0, 10) });
    expect(notTheirs.status).toBe(404);
  });

  it('proposes a routing change to an agent of a local repository as a branch, and says how to review it', async () => {
    expect(await waitForEntity('template/default/agent-change')).toBe(200);
    const run = await runTask(
      {
        agent: 'agent:default/itinerary-planner',
        policy: 'quality',
        reason: 'Replayed: fewer fallbacks',
      },
      'template:default/agent-change',
    );
    expect({ status: run.status, log: run.log }).toMatchObject({
      status: 'completed',
    });
    const shown = run.output.text.map((t: any) => t.content).join('\n');
    const { repoPath, branch } = {
      repoPath: shown.match(/git -C (\S+) show/)?.[1],
      branch: shown.match(
        / show (cellport\/propose\/itinerary-planner-\w+)/,
      )?.[1],
    };
    expect(branch).toBeDefined();
    expect(shown).not.toContain('[the proposal]');
    const proposed = parse(
      execFileSync(
        'git',
        ['-C', repoPath!, 'show', `${branch}:catalog-info.yaml`],
        {
          encoding: 'utf8',
        },
      ),
    );
    expect(proposed.spec.routing.policy).toBe('quality');
  });

  it('finishes a run that failed half-way when it is retried, and starts over after it finished: one key, one registration', async () => {
    // A file where the tenant's repository goes: publishing fails after the key was made.
    const inTheWay = path.join(repositories.path, 'tenant-harbor-freight');
    fs.writeFileSync(inTheWay, 'not a repository');
    const failed = await runTask(
      { ...contoso, name: 'harbor-freight', displayName: 'Harbor Freight' },
      'template:default/tenant-cell',
    );
    expect(failed.status).toBe('failed');
    expect(failed.log).toContain('tenant-harbor-freight');
    const notYet = await request(backend.server)
      .get('/api/catalog/entities/by-name/tenant/default/harbor-freight')
      .set(auth);
    expect(notYet.status).toBe(404);

    fs.rmSync(inTheWay);
    const finished = await retryTask(failed.id);
    expect(finished.status).toBe('completed');
    expect(await waitForEntity('tenant/default/harbor-freight')).toBe(200);

    // The retry reused the key the first attempt made: the tenant holds one hash, the
    // revealed key's, and the gateway takes that key.
    const revealed = await revealKey(finished.output);
    expect(revealed.status).toBe(200);
    const key: string = revealed.body.apiKey;
    const prefix = key.slice(0, 10);
    const kept = `Kept API key ${prefix}…, made for harbor-freight by an earlier attempt`;
    expect(failed.log).toContain(`Made API key ${prefix}… for harbor-freight`);
    expect(finished.log).toContain(kept);
    const tenant = await request(backend.server)
      .get('/api/catalog/entities/by-name/tenant/default/harbor-freight')
      .set(auth);
    expect(
      JSON.parse(tenant.body.metadata.annotations['cellport.dev/api-keys']),
    ).toEqual([
      {
        sha256: createHash('sha256').update(key).digest('hex'),
        prefix: key.slice(0, 10),
        createdAt: expect.any(String),
      },
    ]);
    const models = await fetch(`${gatewayUrl}/v1/models`, {
      headers: { authorization: `Bearer ${key}` },
    });
    expect(models.status).toBe(200);

    // Started over once more after everything was registered (as a restart in its last
    // step would): the plan it made stands, nothing is made or registered twice.
    const replayed = await retryTask(failed.id);
    expect(replayed.status).toBe('completed');
    expect(replayed.log).toContain(kept);
    const after = await request(backend.server)
      .get('/api/catalog/entities/by-name/tenant/default/harbor-freight')
      .set(auth);
    expect(after.body.metadata.annotations['cellport.dev/api-keys']).toBe(
      tenant.body.metadata.annotations['cellport.dev/api-keys'],
    );

    // One registration of its repository.
    const locations = await request(backend.server)
      .get('/api/catalog/locations')
      .set(auth);
    expect(
      locations.body.filter((l: any) =>
        l.data.target.includes('tenant-harbor-freight'),
      ),
    ).toHaveLength(1);
  });
});
