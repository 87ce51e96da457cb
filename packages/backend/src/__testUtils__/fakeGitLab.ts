/*
 * A GitLab with one group, faking only the REST API v4 paths Backstage calls: those
 * `publish:gitlab` (through gitbeaker) calls to create a project, and the raw file the
 * catalog's GitLab URL reader reads back. Projects are real bare repositories that git
 * pushes to over smart HTTP.
 */
import {
  createBareRepository,
  ForgeServer,
  readRepositoryFile,
  startForgeServer,
} from './forgeServer';

export type FakeGitLab = ForgeServer & {
  /** The bare repository of a project, e.g. `cellport/agent-x`. */
  repositoryPath(fullPath: string): string;
};

type Project = { id: number; path: string; fullPath: string };

export async function startFakeGitLab(options: {
  root: string;
  token: string;
  group: string;
}): Promise<FakeGitLab> {
  const { root, group } = options;
  const projects: Project[] = [];
  const groupJson = { id: 1, name: group, path: group, full_path: group };
  const projectJson = (project: Project, baseUrl: string) => ({
    id: project.id,
    name: project.path,
    path: project.path,
    path_with_namespace: project.fullPath,
    namespace: groupJson,
    default_branch: 'main',
    visibility: 'private',
    http_url_to_repo: `${baseUrl}/${project.fullPath}.git`,
    web_url: `${baseUrl}/${project.fullPath}`,
  });
  /** `:id` in GitLab's paths: a project's number, or its full path. */
  const projectById = (id: string) =>
    projects.find(p => String(p.id) === id || p.fullPath === id);
  const notFound = (what: string) => ({
    status: 404,
    json: { message: `404 ${what} Not Found` },
  });

  const server = await startForgeServer({
    root,
    token: options.token,
    routes: baseUrl => [
      {
        method: 'GET',
        path: /^\/api\/v4\/namespaces\/([^/]+)$/,
        answer: ([id]) =>
          id === group
            ? { status: 200, json: { ...groupJson, kind: 'group' } }
            : notFound('Namespace'),
      },
      {
        method: 'GET',
        path: /^\/api\/v4\/user$/,
        answer: () => ({
          status: 200,
          json: { id: 7, username: 'scaffolder' },
        }),
      },
      {
        method: 'GET',
        path: /^\/api\/v4\/groups\/([^/]+)\/projects$/,
        answer: ([id], { query }) =>
          id === group
            ? {
                status: 200,
                json: projects
                  .filter(p => p.path.includes(query.get('search') ?? ''))
                  .map(p => projectJson(p, baseUrl)),
              }
            : notFound('Group'),
      },
      {
        method: 'POST',
        path: /^\/api\/v4\/projects$/,
        answer: (_, { body }) => {
          if (body.namespace_id !== groupJson.id) return notFound('Namespace');
          const fullPath = `${group}/${body.path}`;
          if (projectById(fullPath)) {
            return {
              status: 400,
              json: { message: { path: ['has already been taken'] } },
            };
          }
          createBareRepository(root, fullPath);
          const project = {
            id: projects.length + 1,
            path: body.path,
            fullPath,
          };
          projects.push(project);
          return { status: 201, json: projectJson(project, baseUrl) };
        },
      },
      {
        method: 'GET',
        path: /^\/api\/v4\/projects\/([^/]+)\/repository\/files\/([^/]+)\/raw$/,
        answer: ([id, file], { query }) => {
          const project = projectById(id);
          const content =
            project &&
            readRepositoryFile(
              root,
              project.fullPath,
              query.get('ref') ?? 'HEAD',
              file,
            );
          return content ? { status: 200, raw: content } : notFound('File');
        },
      },
    ],
  });
  return {
    ...server,
    repositoryPath: fullPath => `${root}/${fullPath}.git`,
  };
}
