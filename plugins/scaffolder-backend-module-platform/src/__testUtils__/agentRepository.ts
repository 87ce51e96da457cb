import { Entity } from '@backstage/catalog-model';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

/** The returns assistant as the agent template publishes it, with a comment to keep. */
export const RETURNS_ASSISTANT_YAML = `apiVersion: cellport.dev/v1alpha1
kind: Agent
metadata:
  name: returns-assistant
spec:
  owner: group:default/northwind-commerce
  tenant: northwind-retail
  cell: eu-west-shared-1
  # The economy model first: returns questions are short.
  modelProfiles: [azure-gpt-4o-mini-eu, azure-gpt-4o-eu]
  routing:
    policy: balanced
    fallbackChain: [azure-gpt-4o-eu]
    maxFallbacks: 1
    requiredCapabilities: [tools]
`;

export const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 'test',
      GIT_AUTHOR_EMAIL: 'test@example.com',
      GIT_COMMITTER_NAME: 'test',
      GIT_COMMITTER_EMAIL: 'test@example.com',
    },
  }).trim();

/**
 * A local repository holding an agent's catalog file, committed on `main`, and the Agent as
 * the catalog serves it from there (its origin location is the file).
 */
export function agentRepository(
  repos: string,
  content = RETURNS_ASSISTANT_YAML,
): { repoPath: string; file: string; entity: Entity } {
  const repoPath = path.join(repos, 'agent-returns-assistant');
  fs.mkdirSync(repoPath, { recursive: true });
  const file = path.join(repoPath, 'catalog-info.yaml');
  fs.writeFileSync(file, content);
  git(repoPath, 'init', '--quiet', '--initial-branch=main');
  git(repoPath, 'add', '--all');
  git(repoPath, 'commit', '--quiet', '-m', 'Register agent returns-assistant');
  const entity = parse(content) as Entity;
  entity.metadata.namespace = 'default';
  entity.metadata.annotations = {
    'backstage.io/managed-by-location': `file:${file}`,
    'backstage.io/managed-by-origin-location': `file:${file}`,
  };
  return { repoPath, file, entity };
}
