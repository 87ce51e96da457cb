import { createMockDirectory } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createPublishLocalAction } from './publishLocal';

describe('cellport:publish:local', () => {
  const root = createMockDirectory();
  const repos = path.join(root.path, 'repositories');
  const action = createPublishLocalAction({
    config: new ConfigReader({
      cellport: { scaffolder: { localRepositoriesDir: repos } },
    }),
  });

  function workspace(files: Record<string, string>) {
    const dir = fs.mkdtempSync(path.join(root.path, 'workspace-'));
    for (const [file, content] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
      fs.writeFileSync(path.join(dir, file), content);
    }
    return dir;
  }

  async function publish(input: Record<string, unknown>, options: object = {}) {
    // The mock context takes no isDryRun, so options are laid over it.
    const ctx = {
      ...createMockActionContext({
        input: input as any,
        workspacePath: workspace({
          'catalog-info.yaml': 'kind: Tenant\n',
          'k8s/a.yaml': 'a\n',
        }),
      }),
      ...options,
    };
    await action.handler(ctx as any);
    return Object.fromEntries((ctx.output as jest.Mock).mock.calls);
  }

  it('commits the workspace into a git repository and commits nothing new on a retry', async () => {
    const first = await publish({
      repoName: 'tenant-acme',
      commitMessage: 'Onboard Acme',
    });
    expect(first.repoPath).toBe(path.join(repos, 'tenant-acme'));
    expect(first.catalogInfoPath).toBe(
      path.join(repos, 'tenant-acme/catalog-info.yaml'),
    );
    expect(fs.readFileSync(first.catalogInfoPath, 'utf8')).toBe(
      'kind: Tenant\n',
    );
    const log = execFileSync('git', ['log', '--format=%s'], {
      cwd: first.repoPath,
      encoding: 'utf8',
    });
    expect(log.trim()).toBe('Onboard Acme');

    const retry = await publish({
      repoName: 'tenant-acme',
      commitMessage: 'Onboard Acme',
    });
    expect(retry.commit).toBe(first.commit);
  });

  it('refuses to publish over a repository another run published, so a key the first run showed stays the one registered', async () => {
    const first = await publish({ repoName: 'tenant-twice' });
    await expect(
      publish({ repoName: 'tenant-twice' }, { task: { id: 'another-task' } }),
    ).rejects.toThrow(
      'repoName: the repository tenant-twice was already published by another run (task mock-task-id): its name is taken',
    );
    const log = execFileSync('git', ['log', '--format=%H'], {
      cwd: first.repoPath,
      encoding: 'utf8',
    });
    expect(log.trim()).toBe(first.commit);
  });

  it('only says where it would publish in a dry run', async () => {
    const out = await publish({ repoName: 'tenant-dry' }, { isDryRun: true });
    expect(out.commit).toBe('dry-run');
    expect(fs.existsSync(path.join(repos, 'tenant-dry'))).toBe(false);
  });

  it('refuses a repository name that could leave the repositories directory', async () => {
    await expect(publish({ repoName: '../escape' })).rejects.toThrow(
      'repoName: "../escape" must be lower-case letters, digits and "-"',
    );
  });
});
