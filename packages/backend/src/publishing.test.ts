import { CATALOG_PROCESSING_INTERVAL } from './__testUtils__/catalogProcessing';
import {
  createMockDirectory,
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import scaffolderEntityModelModule from '@backstage/plugin-catalog-backend-module-scaffolder-entity-model';
import scaffolderPlugin from '@backstage/plugin-scaffolder-backend';
import scaffolderGithubModule from '@backstage/plugin-scaffolder-backend-module-github';
import scaffolderGitlabModule from '@backstage/plugin-scaffolder-backend-module-gitlab';
import platformCatalogModule from '@cellport/plugin-catalog-backend-module-platform';
import platformScaffolderModule from '@cellport/plugin-scaffolder-backend-module-platform';
import platformPlugin from '@cellport/plugin-platform-backend';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { parse } from 'yaml';
import { FakeGitHub, startFakeGitHub } from './__testUtils__/fakeGitHub';
import { FakeGitLab, startFakeGitLab } from './__testUtils__/fakeGitLab';
import { requireGit } from './__testUtils__/forgeServer';

const repoRoot = path.resolve(__dirname, '../../..');
const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));
const token = 'publishing-test-token';

/** An agent of the demo tenant in its shared cell, to publish to `repoUrl`. */
const agent = (name: string, publishTo: string, repoUrl: string) => ({
  name,
  owner: 'group:default/northwind-commerce',
  tenant: 'tenant:default/northwind-retail',
  modelProfiles: ['modelprofile:default/azure-gpt-4o-mini-eu'],
  policy: 'cost',
  publishTo,
  repoUrl,
});

jest.setTimeout(180_000);

// The templates' GitLab and GitHub publishing, end to end without the internet: the real
// publish actions talk to a fake forge's REST API and push with git to real bare repositories,
// and the catalog reads the entity back through its GitLab or GitHub URL reader.
describe('publishing a template run to GitLab and GitHub', () => {
  const forges = createMockDirectory();
  const auth = { Authorization: mockCredentials.user.header() };
  let gitlab: FakeGitLab;
  let github: FakeGitHub;
  let backend: Awaited<ReturnType<typeof startTestBackend>>;

  beforeAll(async () => {
    requireGit();
    forges.setContent({ gitlab: {}, github: {} });
    gitlab = await startFakeGitLab({
      root: forges.resolve('gitlab'),
      token,
      group: 'cellport',
    });
    github = await startFakeGitHub({
      root: forges.resolve('github'),
      token,
      org: 'cellport',
    });
    // The platform plugin seals the agent's key; no gateway: the template's last step then only
    // says the cell's gateway learns the agent at the reconciler's next pass (these tests are
    // about publishing).
    backend = await startTestBackend({
      features: [
        platformPlugin,
        catalogPlugin,
        scaffolderEntityModelModule,
        platformCatalogModule,
        scaffolderPlugin,
        scaffolderGithubModule,
        scaffolderGitlabModule,
        platformScaffolderModule,
        mockServices.rootConfig.factory({
          data: {
            backend: {
              database: { client: 'better-sqlite3', connection: ':memory:' },
            },
            // A host may carry a port; the publish actions and URL readers pick the
            // integration by it, and the REST clients use the URLs given here.
            integrations: {
              gitlab: [
                {
                  host: gitlab.host,
                  baseUrl: gitlab.baseUrl,
                  apiBaseUrl: `${gitlab.baseUrl}/api/v4`,
                  token,
                },
              ],
              github: [
                { host: github.host, apiBaseUrl: github.apiBaseUrl, token },
              ],
            },
            catalog: {
              processingInterval: CATALOG_PROCESSING_INTERVAL,
              // Every kind the demo catalog holds: a kind refused in one of its files
              // would keep the whole location out.
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
              // The platform's own groups own the demo's cells and models.
              locations: [
                {
                  type: 'file',
                  target: path.join(repoRoot, 'catalog-info.yaml'),
                },
                {
                  type: 'file',
                  target: path.join(repoRoot, 'examples/all.yaml'),
                },
                ...['agent', 'agent-change'].map(name => ({
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
            platform: { reconciler: { enabled: false } },
            cellport: {
              scaffolder: { localRepositoriesDir: forges.resolve('local') },
            },
          },
        }),
      ],
    });
    // The template and the demo tenant it registers an agent of.
    const needed = [
      'template/default/agent',
      'template/default/agent-change',
      'tenant/default/northwind-retail',
      'cell/default/eu-west-shared-1',
      'modelprofile/default/azure-gpt-4o-mini-eu',
    ];
    const statuses = await Promise.all(needed.map(waitForEntity));
    const missing = needed.filter((_, i) => statuses[i] !== 200);
    if (missing.length > 0) {
      throw new Error(`${missing.join(', ')} never reached the catalog`);
    }
  });

  afterAll(async () => {
    await backend?.stop();
    await gitlab?.stop();
    await github?.stop();
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

  async function runAgentTemplate(
    values: object,
    templateRef = 'template:default/agent',
  ) {
    const created = await request(backend.server)
      .post('/api/scaffolder/v2/tasks')
      .set(auth)
      .send({ templateRef, values });
    expect(created.status).toBe(201);
    for (let attempt = 0; attempt < 240; attempt++) {
      const task = await request(backend.server)
        .get(`/api/scaffolder/v2/tasks/${created.body.id}`)
        .set(auth);
      if (['completed', 'failed'].includes(task.body.status)) {
        const events = await request(backend.server)
          .get(`/api/scaffolder/v2/tasks/${created.body.id}/events`)
          .set(auth);
        return {
          status: task.body.status,
          log: events.body.map((e: any) => e.body.message ?? '').join('\n'),
          output: events.body.find((e: any) => e.type === 'completion')?.body
            ?.output,
        };
      }
      await sleep(500);
    }
    throw new Error('the task never finished');
  }

  /** What git itself finds in a bare repository. */
  const git = (gitDir: string, ...args: string[]) =>
    execFileSync('git', [`--git-dir=${gitDir}`, ...args], {
      encoding: 'utf8',
    });

  it('creates a GitLab project, pushes the agent to it and registers it from there', async () => {
    const run = await runAgentTemplate(
      agent(
        'trip-planner',
        'gitlab',
        `${gitlab.host}?owner=cellport&repo=agent-trip-planner`,
      ),
    );
    // The log says why, should a step have failed.
    expect({ status: run.status, log: run.log }).toMatchObject({
      status: 'completed',
    });

    const repository = gitlab.repositoryPath('cellport/agent-trip-planner');
    expect(git(repository, 'log', '-1', '--format=%s').trim()).toBe(
      'Register agent trip-planner',
    );
    const pushed = parse(git(repository, 'show', 'HEAD:catalog-info.yaml'));
    expect(pushed).toMatchObject({
      kind: 'Agent',
      metadata: { name: 'trip-planner' },
      spec: { tenant: 'northwind-retail' },
    });

    // Only the chosen publisher ran.
    expect(fs.existsSync(forges.resolve('local/agent-trip-planner'))).toBe(
      false,
    );

    const projectUrl = `${gitlab.baseUrl}/cellport/agent-trip-planner`;
    expect(run.output.links).toContainEqual(
      expect.objectContaining({ title: 'Project on GitLab', url: projectUrl }),
    );
    // The catalog read the entity back from the project, through the GitLab URL reader.
    expect(await waitForEntity('agent/default/trip-planner')).toBe(200);
    const entity = await request(backend.server)
      .get('/api/catalog/entities/by-name/agent/default/trip-planner')
      .set(auth);
    expect(
      entity.body.metadata.annotations['backstage.io/managed-by-location'],
    ).toBe(`url:${projectUrl}/-/blob/main/catalog-info.yaml`);
  });

  it('creates a GitHub repository, pushes the agent to it and registers it from there', async () => {
    const run = await runAgentTemplate(
      agent(
        'fare-watcher',
        'github',
        `${github.host}?owner=cellport&repo=agent-fare-watcher`,
      ),
    );
    expect({ status: run.status, log: run.log }).toMatchObject({
      status: 'completed',
    });

    const repository = github.repositoryPath('cellport/agent-fare-watcher');
    const pushed = parse(git(repository, 'show', 'HEAD:catalog-info.yaml'));
    expect(pushed).toMatchObject({
      kind: 'Agent',
      metadata: { name: 'fare-watcher' },
    });
    expect(github.protectedBranches).toEqual([
      'cellport/agent-fare-watcher:main',
    ]);

    const repositoryUrl = `${github.baseUrl}/cellport/agent-fare-watcher`;
    // GitHub's remote URL is the clone URL, which browsers follow to the repository.
    expect(run.output.links).toContainEqual(
      expect.objectContaining({
        title: 'Repository on GitHub',
        url: `${repositoryUrl}.git`,
      }),
    );
    expect(await waitForEntity('agent/default/fare-watcher')).toBe(200);
    const entity = await request(backend.server)
      .get('/api/catalog/entities/by-name/agent/default/fare-watcher')
      .set(auth);
    // catalog:register resolves the file under /tree/, which GitHub's URL reader also reads.
    expect(
      entity.body.metadata.annotations['backstage.io/managed-by-location'],
    ).toBe(`url:${repositoryUrl}/tree/main/catalog-info.yaml`);
  });

  it.each([
    ['GitHub pull request', 'fare-watcher'],
    ['GitLab merge request', 'trip-planner'],
  ])(
    'proposes a routing change to an agent published there as a %s, once when retried',
    async (_, name) => {
      // The agents the tests above published.
      expect(await waitForEntity(`agent/default/${name}`)).toBe(200);
      const onGitHub = name === 'fare-watcher';
      const values = {
        agent: `agent:default/${name}`,
        policy: 'quality',
        reason: 'Replayed: +12% cost, no refusals',
      };
      const run = await runAgentTemplate(
        values,
        'template:default/agent-change',
      );
      expect({ status: run.status, log: run.log }).toMatchObject({
        status: 'completed',
      });
      const fullName = `cellport/agent-${name}`;
      const reviews = onGitHub ? github.pullRequests : gitlab.mergeRequests;
      const review = reviews.find(r => r.repository === fullName)!;
      expect(review).toMatchObject({
        target: 'main',
        title: `Propose for agent ${name}: policy quality`,
      });
      expect(review.body).toContain('Replayed: +12% cost, no refusals');
      // The branch is on the forge with the change, and main is as it was.
      const repository = (onGitHub ? github : gitlab).repositoryPath(fullName);
      const proposed = parse(
        git(repository, 'show', `${review.source}:catalog-info.yaml`),
      );
      expect(proposed.spec.routing.policy).toBe('quality');
      const main = parse(git(repository, 'show', 'main:catalog-info.yaml'));
      expect(main.spec.routing.policy).toBe('cost');
      const reviewUrl = onGitHub
        ? `${github.baseUrl}/${fullName}/pull/${review.number}`
        : `${gitlab.baseUrl}/${fullName}/-/merge_requests/${review.number}`;
      const shown = run.output.text.map((t: any) => t.content).join('\n');
      expect(shown).toContain(reviewUrl);
      expect(JSON.stringify(run)).not.toContain(token);

      // The same proposal again finds the open one: no second branch or request.
      const again = await runAgentTemplate(
        values,
        'template:default/agent-change',
      );
      expect(again.status).toBe('completed');
      expect(reviews.filter(r => r.repository === fullName)).toHaveLength(1);
      expect(again.output.text.map((t: any) => t.content).join('\n')).toContain(
        reviewUrl,
      );
    },
  );

  it('refuses a GitLab group that does not exist, creating nothing', async () => {
    const run = await runAgentTemplate(
      agent(
        'lost-agent',
        'gitlab',
        `${gitlab.host}?owner=nobody&repo=agent-lost-agent`,
      ),
    );
    expect(run.status).toBe('failed');
    expect(run.log).toMatch(/The namespace nobody is not found/);
    expect(run.log).toMatch(/Skipping step register-gitlab/);
  });
});
