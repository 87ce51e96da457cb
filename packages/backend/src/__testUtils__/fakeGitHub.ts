/*
 * A GitHub Enterprise with one organization, faking only the REST API paths Backstage calls:
 * those `publish:github` (through octokit) calls to create a repository and protect its
 * default branch, the contents the catalog's GitHub URL reader reads back, and the pull
 * requests `cellport:agent:propose-change` opens and looks up. Repositories
 * are real bare repositories that git pushes to over smart HTTP.
 */
import {
  createBareRepository,
  ForgeServer,
  hasBranch,
  readRepositoryFile,
  ReviewRequestRecord,
  startForgeServer,
} from './forgeServer';

export type FakeGitHub = ForgeServer & {
  /** The API base URL, the integration's `apiBaseUrl`. */
  apiBaseUrl: string;
  /** The bare repository of a repository, e.g. `cellport/agent-x`. */
  repositoryPath(fullName: string): string;
  /** The branches `publish:github` asked to protect, as `owner/repo:branch`. */
  protectedBranches: string[];
  /** The pull requests opened, all open. */
  pullRequests: ReviewRequestRecord[];
};

export async function startFakeGitHub(options: {
  root: string;
  token: string;
  org: string;
}): Promise<FakeGitHub> {
  const { root, org } = options;
  const repositories = new Set<string>();
  const protectedBranches: string[] = [];
  const pullRequests: ReviewRequestRecord[] = [];
  const pullJson = (pull: ReviewRequestRecord, baseUrl: string) => ({
    number: pull.number,
    html_url: `${baseUrl}/${pull.repository}/pull/${pull.number}`,
  });
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
        method: 'POST',
        path: /^\/api\/v3\/repos\/([^/]+\/[^/]+)\/pulls$/,
        answer: ([fullName], { body }) => {
          if (!repositories.has(fullName)) return notFound;
          if (
            ![body.head, body.base].every(b => hasBranch(root, fullName, b))
          ) {
            return { status: 422, json: { message: 'Validation Failed' } };
          }
          if (
            pullRequests.some(
              p => p.repository === fullName && p.source === body.head,
            )
          ) {
            return {
              status: 422,
              json: {
                message: `A pull request already exists for ${body.head}`,
              },
            };
          }
          const pull = {
            repository: fullName,
            number: pullRequests.length + 1,
            source: body.head,
            target: body.base,
            title: body.title,
            body: body.body,
          };
          pullRequests.push(pull);
          return { status: 201, json: pullJson(pull, baseUrl) };
        },
      },
      {
        method: 'GET',
        path: /^\/api\/v3\/repos\/([^/]+\/[^/]+)\/pulls$/,
        answer: ([fullName], { query }) => ({
          status: 200,
          json: pullRequests
            .filter(
              p =>
                p.repository === fullName &&
                `${org}:${p.source}` === query.get('head'),
            )
            .map(p => pullJson(p, baseUrl)),
        }),
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
    pullRequests,
  };
}
