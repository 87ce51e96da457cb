import { createMockDirectory } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import {
  agentRepository,
  git,
  RETURNS_ASSISTANT_YAML,
} from '../../__testUtils__/agentRepository';
import { demoCatalog } from '../../__testUtils__/demoCatalog';
import { runExample } from '../../__testUtils__/runExample';
import { createProposeAgentChangeAction } from './proposeAgentChange';
import { examples } from './proposeAgentChange.examples';

describe('cellport:agent:propose-change examples', () => {
  function setUp() {
    const root = createMockDirectory();
    const repos = path.join(root.path, 'repositories');
    const repository = agentRepository(repos);
    const action = createProposeAgentChangeAction({
      config: new ConfigReader({
        cellport: { scaffolder: { localRepositoriesDir: repos } },
      }),
      catalog: catalogServiceMock({
        entities: [...demoCatalog(), repository.entity],
      }),
    });
    const workspacePath = path.join(root.path, 'workspace');
    fs.mkdirSync(workspacePath);
    return { repository, action, workspacePath };
  }

  it('Example 1: commits the cost policy on a new branch, leaving main and the working tree as they are', async () => {
    const { repository, action, workspacePath } = setUp();
    const main = git(repository.repoPath, 'rev-parse', 'HEAD');
    const { propose } = await runExample(examples[0], {
      actions: [action],
      context: { workspacePath },
    });
    expect(propose.branch).toMatch(/^cellport\/propose\/returns-assistant-/);
    expect(propose.baseCommit).toBe(main);
    expect(git(repository.repoPath, 'rev-parse', propose.branch)).toBe(
      propose.commit,
    );
    const proposed = git(
      repository.repoPath,
      'show',
      `${propose.branch}:catalog-info.yaml`,
    );
    expect(parse(proposed).spec.routing.policy).toBe('cost');
    // Only that line changes: the comment and the rest stay as written.
    expect(
      git(repository.repoPath, 'diff', main, propose.branch, '--stat'),
    ).toMatch(/1 insertion\(\+\), 1 deletion\(-\)/);
    expect(proposed).toContain('# The economy model first');
    expect(
      git(repository.repoPath, 'log', '-1', '--format=%B', propose.branch),
    ).toMatch(/policy cost\n\nRecommendation 1: saves \$12\.40 a month/);
    // Nothing takes effect before review: the catalog reads main's working tree.
    expect(git(repository.repoPath, 'rev-parse', 'HEAD')).toBe(main);
    expect(git(repository.repoPath, 'branch', '--show-current')).toBe('main');
    expect(fs.readFileSync(repository.file, 'utf8')).toBe(
      RETURNS_ASSISTANT_YAML,
    );
    expect(git(repository.repoPath, 'status', '--porcelain')).toBe('');
  });

  it('Example 2: proposes one preferred model the tenant may use', async () => {
    const { repository, action, workspacePath } = setUp();
    const { propose } = await runExample(examples[1], {
      actions: [action],
      context: { workspacePath },
    });
    const proposed = parse(
      git(repository.repoPath, 'show', `${propose.branch}:catalog-info.yaml`),
    );
    expect(proposed.spec.modelProfiles).toEqual(['azure-gpt-4o-mini-eu']);
    expect(proposed.spec.routing.policy).toBe('balanced');
  });
});
