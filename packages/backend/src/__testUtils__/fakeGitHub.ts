/*
 * A GitHub Enterprise with one organization, faking only the REST API paths Backstage calls:
 * those `publish:github` (through octokit) calls to create a repository and protect its
 * default branch, and the contents the catalog's GitHub URL reader reads back. Repositories
 * are real bare repositories that git pushes to over smart HTTP.
 */
import {
  createBareRepository,
  ForgeServer,
  readRepositoryFile,
  startForgeServer,
} from './forgeServer';

export type FakeGitHub = ForgeServer & {
  /** The API base URL, the integration's `apiBaseUrl`. */
  apiBaseUrl: string;
  /** The bare repository of a repository, e.g. `cellport/agent-x`. */
  repositoryPath(fullName: string): string;
  /** The branches `publish:github` asked to protect, as `owner/repo:branch`. */
  protectedBranches: string[];
};

export async function startFakeGitHub(options: {
  root: string;
  token: string;
  org: string;
}): Promise<FakeGitHub> {
  const { root, org } = options;
  const repositories = new Set<string>();
  const protectedBranches: string[] = [];
  const notFound = { status: 404, json: { message: 'Not Found' } };

  const server = await startForgeServer({
    root,
    token: options.token,
    routes: baseUrl => [
      {
        method: 'GET',
        path: /^\/api\/v3\/users\/([^/]+)$/,
        answer: ([login]) =>
          login === org
            ? { status: 200, json: { login, type: 'Organization' } }
            : notFound,
      },
      {
        method: 'POST',
        path: /^\/api\/v3\/orgs\/([^/]+)\/repos$/,
        answer: ([owner], { body }) => {
          if (owner !== org) return notFound;
          const fullName = `${org}/${body.name}`;
          if (repositories.has(fullName)) {
            return {
              status: 422,
              json: { message: 'name already exists on this account' },
            };
          }
          createBareRepository(root, fullName);
          repositories.add(fullName);
          return {
            status: 201,
            json: {
              name: body.name,
              full_name: fullName,
              private: body.private,
              default_branch: 'main',
              clone_url: `${baseUrl}/${fullName}.git`,
              html_url: `${baseUrl}/${fullName}`,
            },
          };
        },
      },
      {
        method: 'PUT',
        path: /^\/api\/v3\/repos\/([^/]+\/[^/]+)\/branches\/([^/]+)\/protection$/,
        answer: ([fullName, branch]) => {
          if (!repositories.has(fullName)) return notFound;
          protectedBranches.push(`${fullName}:${branch}`);
          return { status: 200, json: {} };
        },
      },
      {
        // The URL reader asks for the raw file (`application/vnd.github.v3.raw`).
        method: 'GET',
        path: /^\/api\/v3\/repos\/([^/]+\/[^/]+)\/contents\/(.+)$/,
        answer: ([fullName, file], { query }) => {
          const content =
            repositories.has(fullName) &&
            readRepositoryFile(
              root,
              fullName,
              query.get('ref') ?? 'HEAD',
              file,
            );
          return content ? { status: 200, raw: content } : notFound;
        },
      },
    ],
  });
  return {
    ...server,
    apiBaseUrl: `${server.baseUrl}/api/v3`,
    repositoryPath: fullName => `${root}/${fullName}.git`,
    protectedBranches,
  };
}
