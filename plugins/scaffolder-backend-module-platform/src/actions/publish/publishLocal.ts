import { Config } from '@backstage/config';
import { InputError } from '@backstage/errors';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import {
  localRepositoriesDir,
  localRepositoryPath,
} from '../../localRepositories';
import { examples } from './publishLocal.examples';

const run = promisify(execFile);

/**
 * Makes the repository this run's, or refuses: two runs of one name (a double-clicked form,
 * two people onboarding one tenant) both pass their plan while the catalog has neither, and
 * the second would commit over the first, its key replacing the one the first was shown.
 * The first to claim it wins (an exclusive create); a retry of the same run finds its own
 * claim. A repository published before claims were made belongs to no run.
 */
async function claimRepository(
  repoPath: string,
  repoName: string,
  taskId: string,
): Promise<void> {
  const claim = path.join(repoPath, '.git', 'cellport-task');
  const published = await run(
    'git',
    ['rev-parse', '--verify', '--quiet', 'HEAD'],
    {
      cwd: repoPath,
    },
  ).then(
    () => true,
    () => false,
  );
  try {
    if (published) throw Object.assign(new Error(), { code: 'EEXIST' });
    // Written whole, then linked into place: the claim never exists empty (a crash between
    // creating and writing it would leave a claim nobody could prove was theirs).
    const draft = `${claim}.${process.pid}.${Date.now()}`;
    await fs.writeFile(draft, taskId);
    try {
      await fs.link(draft, claim);
    } finally {
      await fs.rm(draft, { force: true });
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const owner = await fs.readFile(claim, 'utf8').catch(() => '');
    if (owner.trim() === taskId) return;
    throw new InputError(
      `repoName: the repository ${repoName} was already published by another run${
        owner ? ` (task ${owner.trim()})` : ''
      }: its name is taken`,
    );
  }
}

/**
 * `cellport:publish:local` commits the workspace into a git repository under the local
 * repositories directory: the embedded default's stand-in for GitHub or GitLab. A retry
 * commits nothing new; a dry run only says where it would publish.
 */
export function createPublishLocalAction(options: { config: Config }) {
  const baseDir = localRepositoriesDir(options.config);
  return createTemplateAction({
    id: 'cellport:publish:local',
    description:
      'Commits the workspace into a local git repository (the embedded default publisher).',
    examples,
    supportsDryRun: true,
    schema: {
      input: {
        repoName: z =>
          z
            .string()
            .describe('Repository name: lower-case letters, digits, "-"'),
        commitMessage: z =>
          z
            .string()
            .max(200)
            .optional()
            .describe('Commit message; defaults to the template name'),
      },
      output: {
        repoPath: z => z.string(),
        catalogInfoPath: z => z.string(),
        commit: z => z.string(),
      },
    },
    async handler(ctx) {
      const repoPath = localRepositoryPath(baseDir, ctx.input.repoName);
      const catalogInfoPath = path.join(repoPath, 'catalog-info.yaml');
      ctx.output('repoPath', repoPath);
      ctx.output('catalogInfoPath', catalogInfoPath);
      if (ctx.isDryRun) {
        ctx.logger.info(`Dry run: would commit the workspace into ${repoPath}`);
        ctx.output('commit', 'dry-run');
        return;
      }
      const author =
        ctx.user?.entity?.spec?.profile?.displayName ?? 'Cellport scaffolder';
      const email =
        ctx.user?.entity?.spec?.profile?.email ?? 'scaffolder@cellport.local';
      const commit = await ctx.checkpoint({
        key: `publish-local-${ctx.input.repoName}`,
        fn: async () => {
          await fs.mkdir(repoPath, { recursive: true });
          const git = (...args: string[]) =>
            run('git', args, {
              cwd: repoPath,
              env: {
                ...process.env,
                GIT_AUTHOR_NAME: author,
                GIT_AUTHOR_EMAIL: email,
                GIT_COMMITTER_NAME: 'Cellport scaffolder',
                GIT_COMMITTER_EMAIL: 'scaffolder@cellport.local',
              },
            });
          await git('init', '--quiet', '--initial-branch=main');
          await claimRepository(repoPath, ctx.input.repoName, ctx.task.id);
          await fs.cp(ctx.workspacePath, repoPath, { recursive: true });
          await git('add', '--all');
          const staged = await git('status', '--porcelain');
          if (staged.stdout.trim()) {
            await git(
              'commit',
              '--quiet',
              '-m',
              ctx.input.commitMessage ??
                `Scaffolded by ${ctx.templateInfo?.entityRef ?? 'Cellport'}`,
            );
          }
          return (await git('rev-parse', 'HEAD')).stdout.trim();
        },
      });
      ctx.logger.info(`Published ${repoPath} at ${commit}`);
      ctx.output('commit', commit);
    },
  });
}
