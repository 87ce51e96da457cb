import { Config } from '@backstage/config';
import { InputError } from '@backstage/errors';
import path from 'node:path';

/** The directory local repositories live in, from config. */
export function localRepositoriesDir(config: Config): string {
  return path.resolve(
    config.getOptionalString('cellport.scaffolder.localRepositoriesDir') ??
      'data/repositories',
  );
}

/**
 * The directories whose git repositories `cellport:agent:propose-change` may add branches to:
 * the local repositories directory and `cellport.scaffolder.proposalRepositories`.
 */
export function proposalRoots(config: Config): string[] {
  return [
    localRepositoriesDir(config),
    ...(
      config.getOptionalStringArray(
        'cellport.scaffolder.proposalRepositories',
      ) ?? []
    ).map(dir => path.resolve(dir)),
  ];
}

const REPO_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** A repository's directory; refuses names that could leave the repositories directory. */
export function localRepositoryPath(baseDir: string, repoName: string): string {
  if (!REPO_NAME.test(repoName)) {
    throw new InputError(
      `repoName: "${repoName}" must be lower-case letters, digits and "-", at most 63 characters`,
    );
  }
  return path.join(baseDir, repoName);
}

/** True when `target` is a file inside `baseDir` (after resolving `..`). */
export function isInside(baseDir: string, target: string): boolean {
  const relative = path.relative(baseDir, path.resolve(target));
  return (
    relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative)
  );
}
