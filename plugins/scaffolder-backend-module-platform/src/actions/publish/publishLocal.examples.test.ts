import { createMockDirectory } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { runExample } from '../../__testUtils__/runExample';
import { createPublishLocalAction } from './publishLocal';
import { examples } from './publishLocal.examples';

describe('cellport:publish:local examples', () => {
  it("Example 1: commits the tenant's onboarding files into a local git repository", async () => {
    const root = createMockDirectory({
      content: { 'workspace/catalog-info.yaml': 'kind: Tenant\n' },
    });
    const repos = path.join(root.path, 'repositories');
    const { publish } = await runExample(examples[0], {
      actions: [
        createPublishLocalAction({
          config: new ConfigReader({
            cellport: { scaffolder: { localRepositoriesDir: repos } },
          }),
        }),
      ],
      context: { workspacePath: path.join(root.path, 'workspace') },
    });
    expect(publish.repoPath).toBe(path.join(repos, 'tenant-northwind-retail'));
    expect(fs.readFileSync(publish.catalogInfoPath, 'utf8')).toBe(
      'kind: Tenant\n',
    );
    const git = (...args: string[]) =>
      execFileSync('git', args, {
        cwd: publish.repoPath,
        encoding: 'utf8',
      }).trim();
    expect(git('log', '--format=%s')).toBe('Onboard Northwind Retail');
    expect(git('rev-parse', 'HEAD')).toBe(publish.commit);
  });
});
