import { createMockDirectory } from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import { ConfigReader } from '@backstage/config';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import fs from 'node:fs';
import path from 'node:path';
import { agentRepository, git } from '../../__testUtils__/agentRepository';
import { demoCatalog } from '../../__testUtils__/demoCatalog';
import { fakeCheckpoints } from '../../__testUtils__/fakeCheckpoints';
import { createProposeAgentChangeAction } from './proposeAgentChange';

describe('cellport:agent:propose-change', () => {
  const root = createMockDirectory();
  const repos = path.join(root.path, 'repositories');
  const repository = agentRepository(repos);

  /**
   * The demo catalog, with northwind-retail's allowlist edited by hand to name `extra`. Refs
   * are looked up in any case, as the catalog does.
   */
  function catalogWith(agent: Entity, extra: string[] = []) {
    const catalog = catalogServiceMock({
      entities: [
        ...demoCatalog().map(e =>
          e.kind === 'Tenant' && e.metadata.name === 'northwind-retail'
            ? {
                ...e,
                spec: {
                  ...e.spec,
                  modelAllowlist: [
                    ...((e.spec as any).modelAllowlist as string[]),
                    ...extra,
                  ],
                },
              }
            : e,
        ),
        agent,
      ],
    });
    const byRefs = catalog.getEntitiesByRefs.bind(catalog);
    catalog.getEntitiesByRefs = (request, options) =>
      byRefs(
        {
          ...request,
          entityRefs: request.entityRefs.map(ref => ref.toLocaleLowerCase()),
        },
        options,
      );
    return catalog;
  }

  async function propose(
    input: Record<string, unknown>,
    options: {
      agent?: Entity;
      extra?: string[];
      context?: object;
      proposalRepositories?: string[];
    } = {},
  ) {
    const action = createProposeAgentChangeAction({
      config: new ConfigReader({
        cellport: {
          scaffolder: {
            localRepositoriesDir: repos,
            proposalRepositories: options.proposalRepositories,
          },
        },
      }),
      catalog: catalogWith(options.agent ?? repository.entity, options.extra),
    });
    const ctx = {
      ...createMockActionContext({
        input: input as any,
        workspacePath: fs.mkdtempSync(path.join(root.path, 'ws-')),
      }),
      ...options.context,
    };
    await action.handler(ctx as any);
    return Object.fromEntries((ctx.output as jest.Mock).mock.calls);
  }

  it("refuses another tenant's dedicated model, even on a hand-edited allowlist, and commits nothing", async () => {
    const branches = git(repository.repoPath, 'branch', '--list');
    await expect(
      propose(
        {
          agent: 'returns-assistant',
          preferredModels: ['llama-3-1-70b-meridian'],
        },
        { extra: ['llama-3-1-70b-meridian'] },
      ),
    ).rejects.toThrow(
      /preferredModels\.0: llama-3-1-70b-meridian is private capacity of the dedicated cell "meridian-dedicated"/,
    );
    // Outside the tenant's residency, and not on its allowlist at all.
    await expect(
      propose({ agent: 'returns-assistant', preferredModels: ['gpt-4o'] }),
    ).rejects.toThrow(
      /preferredModels\.0: gpt-4o is not on northwind-retail's model allowlist.*outside the pinned residency/,
    );
    expect(git(repository.repoPath, 'branch', '--list')).toBe(branches);
  });

  it('refuses what it cannot propose, naming the field', async () => {
    await expect(propose({ agent: 'returns-assistant' })).rejects.toThrow(
      'policy: propose a policy or preferred models',
    );
    await expect(
      propose({ agent: 'no-such-agent', policy: 'cost' }),
    ).rejects.toThrow('agent: agent:default/no-such-agent is not an Agent');
    await expect(
      propose({ agent: 'returns-assistant', policy: 'balanced' }),
    ).rejects.toThrow(/already gives agent returns-assistant this routing/);
    const onGitHub = {
      ...repository.entity,
      metadata: {
        ...repository.entity.metadata,
        annotations: {
          'backstage.io/managed-by-origin-location':
            'url:https://github.com/northwind/returns-assistant/blob/main/catalog-info.yaml',
        },
      },
    };
    await expect(
      propose(
        { agent: 'returns-assistant', policy: 'cost' },
        { agent: onGitHub },
      ),
    ).rejects.toThrow(
      'agent: no GitHub token is configured for github.com (integrations.github), so no change can be proposed there',
    );
    // The demo's own agents are files of the portal's repository, not a local repository.
    const outside = {
      ...repository.entity,
      metadata: {
        ...repository.entity.metadata,
        annotations: {
          'backstage.io/managed-by-origin-location': `file:${path.join(
            root.path,
            'examples/agents.yaml',
          )}`,
        },
      },
    };
    await expect(
      propose(
        { agent: 'returns-assistant', policy: 'cost' },
        { agent: outside },
      ),
    ).rejects.toThrow(/is neither a file in a local repository under/);
  });

  it('names the preferred models as the catalog spells them, whatever case the form sent', async () => {
    const out = await propose({
      agent: 'returns-assistant',
      preferredModels: ['Azure-GPT-4o-EU', 'azure-gpt-4o-MINI-eu'],
    });
    const file = git(
      repository.repoPath,
      'show',
      `${out.branch}:${path.basename(repository.file)}`,
    );
    expect(file).toContain(
      'modelProfiles: [azure-gpt-4o-eu, azure-gpt-4o-mini-eu]',
    );
  });

  it('proposes the same branch and commit when a run is retried', async () => {
    const checkpoints = fakeCheckpoints();
    const input = { agent: 'returns-assistant', policy: 'quality' };
    const first = await propose(input, {
      context: { checkpoint: checkpoints.checkpoint },
    });
    const again = await propose(input);
    expect(again.branch).toBe(first.branch);
    expect(again.commit).toBe(first.commit);
    expect(git(repository.repoPath, 'rev-list', '--count', first.branch)).toBe(
      '2',
    );
  });

  it('proposes on a new branch once the base has moved, not on the stale one of an earlier proposal', async () => {
    const input = { agent: 'returns-assistant', policy: 'cost' };
    const before = await propose(input);
    // Someone commits to the checked-out branch (the earlier proposal merged, or anything).
    fs.appendFileSync(path.join(repository.repoPath, 'README.md'), 'notes\n');
    git(repository.repoPath, 'add', 'README.md');
    git(repository.repoPath, 'commit', '--quiet', '-m', 'Notes');
    const after = await propose(input);
    expect(after.branch).not.toBe(before.branch);
    expect(after.baseCommit).toBe(
      git(repository.repoPath, 'rev-parse', 'HEAD'),
    );
    expect(git(repository.repoPath, 'rev-parse', `${after.branch}^`)).toBe(
      after.baseCommit,
    );
  });

  it("proposes to a repository listed in proposalRepositories, as a branch that leaves its checkout alone (the demo's own agents)", async () => {
    // The portal's own repository, as the embedded default lists it: not under `repos`.
    const portal = agentRepository(path.join(root.path, 'portal'));
    const head = git(portal.repoPath, 'rev-parse', 'HEAD');
    const input = { agent: 'returns-assistant', policy: 'cost' };
    await expect(propose(input, { agent: portal.entity })).rejects.toThrow(
      /is neither a file in a local repository under/,
    );
    const out = await propose(input, {
      agent: portal.entity,
      proposalRepositories: [path.join(root.path, 'portal')],
    });
    expect(out.repoPath).toBe(fs.realpathSync(portal.repoPath));
    expect(
      git(portal.repoPath, 'show', `${out.branch}:catalog-info.yaml`),
    ).toContain('policy: cost');
    // The checkout the catalog reads is as it was.
    expect(git(portal.repoPath, 'rev-parse', 'HEAD')).toBe(head);
    expect(git(portal.repoPath, 'status', '--porcelain')).toBe('');
    expect(fs.readFileSync(portal.file, 'utf8')).toContain('policy: balanced');
  });
});
