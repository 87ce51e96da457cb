/*
 * A GitLab with one group, faking only the REST API v4 paths Backstage calls: those
 * `publish:gitlab` (through gitbeaker) calls to create a project, the raw file the catalog's
 * GitLab URL reader reads back, and the merge requests `cellport:agent:propose-change` opens
 * and looks up. Projects are real bare repositories that git
 * pushes to over smart HTTP.
 */
import {
  createBareRepository,
  ForgeServer,
  hasBranch,
  readRepositoryFile,
  ReviewRequestRecord,
  startForgeServer,
} from './forgeServer';

export type FakeGitLab = ForgeServer & {
  /** The bare repository of a project, e.g. `cellport/agent-x`. */
  repositoryPath(fullPath: string): string;
  /** The merge requests opened, all open. */
  mergeRequests: ReviewRequestRecord[];
};

type Project = { id: number; path: string; fullPath: string };

export async function startFakeGitLab(options: {
  root: string;
  token: string;
  group: string;
}): Promise<FakeGitLab> {
  const { root, group } = options;
  const projects: Project[] = [];
  const mergeRequests: ReviewRequestRecord[] = [];
  const mergeRequestJson = (mr: ReviewRequestRecord, baseUrl: string) => ({
    iid: mr.number,
    web_url: `${baseUrl}/${mr.repository}/-/merge_requests/${mr.number}`,
  });
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
        method: 'POST',
        path: /^\/api\/v4\/projects\/([^/]+)\/merge_requests$/,
        answer: ([id], { body }) => {
          const project = projectById(id);
          if (!project) return notFound('Project');
          const branches = [body.source_branch, body.target_branch];
          if (!branches.every(b => hasBranch(root, project.fullPath, b))) {
            return notFound('Branch');
          }
          if (
            mergeRequests.some(
              mr =>
                mr.repository === project.fullPath &&
                mr.source === body.source_branch,
            )
          ) {
            return {
              status: 409,
              json: { message: ['Another open merge request already exists'] },
            };
          }
          const mr = {
            repository: project.fullPath,
            number: mergeRequests.length + 1,
            source: body.source_branch,
            target: body.target_branch,
            title: body.title,
            body: body.description,
          };
          mergeRequests.push(mr);
          return { status: 201, json: mergeRequestJson(mr, baseUrl) };
        },
      },
      {
        method: 'GET',
        path: /^\/api\/v4\/projects\/([^/]+)\/merge_requests$/,
        answer: ([id], { query }) => ({
          status: 200,
          json: mergeRequests
            .filter(
              mr =>
                mr.repository === projectById(id)?.fullPath &&
                mr.source === query.get('source_branch'),
            )
            .map(mr => mergeRequestJson(mr, baseUrl)),
        }),
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
    mergeRequests,
  };
}
