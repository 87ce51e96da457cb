import { InputError } from '@backstage/errors';
import {
  DefaultGithubCredentialsProvider,
  ScmIntegrations,
} from '@backstage/integration';

/** A review request asks to merge `branch` into the source's base branch. */
export interface ReviewRequest {
  branch: string;
  title: string;
  body: string;
}

/** An agent's catalog file in a GitHub repository or a GitLab project, and how to change it. */
export interface ForgeSource {
  forge: 'github' | 'gitlab';
  /** The repository's page, e.g. `https://github.com/acme/agents`. */
  webUrl: string;
  /** Where git clones and pushes. */
  cloneUrl: string;
  baseBranch: string;
  /** The catalog file, relative to the repository's root. */
  file: string;
  /**
   * Git's environment carrying the integration's token as an HTTP header, so that it is never
   * in a URL, an argument or a message.
   */
  gitEnv: Record<string, string>;
  /** Opens a pull (GitHub) or merge (GitLab) request, or finds the open one; its URL. */
  openReview(request: ReviewRequest): Promise<string>;
}

/**
 * The forge holding a catalog file at `target` (the `url:` location the catalog read the agent
 * from: `…/owner/repo/tree|blob/<branch>/<file>` on GitHub, `…/group/project/-/blob/<branch>/<file>`
 * on GitLab), through the integrations configured for its host; undefined for another host.
 * The branch is one path segment: a branch name with a slash reads as part of the file.
 */
export async function forgeSource(
  target: string,
  integrations: ScmIntegrations,
): Promise<ForgeSource | undefined> {
  const integration = integrations.byUrl(target);
  if (!integration || !['github', 'gitlab'].includes(integration.type)) {
    return undefined;
  }
  const url = new URL(target);
  // A GitLab served under a path (`https://host/gitlab`) has its projects below that path.
  const basePath =
    integration.type === 'gitlab'
      ? new URL(integrations.gitlab.byUrl(target)!.config.baseUrl).pathname
      : '/';
  const prefix = basePath.endsWith('/') ? basePath : `${basePath}/`;
  const match = url.pathname.startsWith(prefix)
    ? url.pathname
        .slice(prefix.length)
        .match(/^(.+?)(?:\/-)?\/(?:blob|tree)\/([^/]+)\/(.+)$/)
    : null;
  const parts = match && decodeAll(match.slice(1));
  if (!parts) {
    throw new InputError(
      `agent: its source ${target} does not name a repository, a branch and a file (…/blob/<branch>/<file>)`,
    );
  }
  const [repository, baseBranch, file] = parts;
  const webUrl = `${url.origin}${prefix}${repository}`;
  const cloneUrl = `${webUrl}.git`;
  if (integration.type === 'github') {
    const { token } = await DefaultGithubCredentialsProvider.fromIntegrations(
      integrations,
    ).getCredentials({ url: webUrl });
    if (!token) throw noToken('GitHub', url.host);
    const apiBaseUrl = integrations.github.byUrl(target)!.config.apiBaseUrl;
    if (!apiBaseUrl) {
      throw new InputError(
        `agent: the GitHub integration for ${url.host} has no apiBaseUrl (integrations.github), so no pull request can be opened there`,
      );
    }
    return {
      forge: 'github',
      webUrl,
      cloneUrl,
      baseBranch,
      file,
      gitEnv: gitAuthEnv('x-access-token', token),
      openReview: request =>
        openPullRequest(apiBaseUrl, token, repository, baseBranch, request),
    };
  }
  const config = integrations.gitlab.byUrl(target)!.config;
  if (!config.token) throw noToken('GitLab', url.host);
  const token = config.token;
  return {
    forge: 'gitlab',
    webUrl,
    cloneUrl,
    baseBranch,
    file,
    gitEnv: gitAuthEnv('oauth2', token),
    openReview: request =>
      openMergeRequest(
        config.apiBaseUrl,
        token,
        repository,
        baseBranch,
        request,
      ),
  };
}

/** Each part percent-decoded, or undefined when one is not valid percent-encoding. */
function decodeAll(parts: string[]): string[] | undefined {
  try {
    return parts.map(decodeURIComponent);
  } catch {
    return undefined;
  }
}

function noToken(forge: string, host: string) {
  return new InputError(
    `agent: no ${forge} token is configured for ${host} (integrations.${forge.toLowerCase()}), so no change can be proposed there`,
  );
}

/** `http.extraHeader` through git's environment: basic auth that no process listing shows. */
function gitAuthEnv(username: string, token: string): Record<string, string> {
  const basic = Buffer.from(`${username}:${token}`).toString('base64');
  return {
    GIT_CONFIG_COUNT: '1',
    GIT_CONFIG_KEY_0: 'http.extraHeader',
    GIT_CONFIG_VALUE_0: `Authorization: Basic ${basic}`,
    GIT_TERMINAL_PROMPT: '0',
  };
}

async function openPullRequest(
  apiBaseUrl: string,
  token: string,
  repository: string,
  base: string,
  request: ReviewRequest,
): Promise<string> {
  const headers = {
    authorization: `token ${token}`,
    accept: 'application/vnd.github+json',
    'content-type': 'application/json',
  };
  const pulls = `${apiBaseUrl}/repos/${repository}/pulls`;
  const created = await fetch(pulls, {
    method: 'POST',
    headers,
    body: JSON.stringify({
      title: request.title,
      body: request.body,
      head: request.branch,
      base,
    }),
  });
  if (created.ok)
    return ((await created.json()) as { html_url: string }).html_url;
  // 422: one is open for this branch already (a retried run); it is the proposal.
  if (created.status === 422) {
    const owner = repository.split('/')[0];
    const open = await fetch(
      `${pulls}?state=open&head=${encodeURIComponent(
        `${owner}:${request.branch}`,
      )}`,
      { headers },
    );
    const [existing] = open.ok
      ? ((await open.json()) as { html_url: string }[])
      : [];
    if (existing) return existing.html_url;
  }
  throw await reviewFailure('GitHub pull request', repository, created);
}

async function openMergeRequest(
  apiBaseUrl: string,
  token: string,
  project: string,
  target: string,
  request: ReviewRequest,
): Promise<string> {
  const headers = {
    'private-token': token,
    'content-type': 'application/json',
  };
  const requests = `${apiBaseUrl}/projects/${encodeURIComponent(
    project,
  )}/merge_requests`;
  const created = await fetch(requests, {
    method: 'POST',
    headers,
    body: JSON.stringify({
      source_branch: request.branch,
      target_branch: target,
      title: request.title,
      description: request.body,
    }),
  });
  if (created.ok)
    return ((await created.json()) as { web_url: string }).web_url;
  // 409: one is open for this branch already (a retried run); it is the proposal.
  if (created.status === 409) {
    const open = await fetch(
      `${requests}?state=opened&source_branch=${encodeURIComponent(
        request.branch,
      )}`,
      { headers },
    );
    const [existing] = open.ok
      ? ((await open.json()) as { web_url: string }[])
      : [];
    if (existing) return existing.web_url;
  }
  throw await reviewFailure('GitLab merge request', project, created);
}

/** The forge's own message, which names what it refused; never the request's token. */
async function reviewFailure(what: string, repository: string, res: Response) {
  const body = (await res.json().catch(() => ({}))) as { message?: unknown };
  const message =
    typeof body.message === 'string'
      ? body.message
      : JSON.stringify(body.message ?? '');
  return new Error(
    `Could not open a ${what} on ${repository}: ${res.status} ${
      res.statusText
    }${message ? `: ${message}` : ''}`,
  );
}
