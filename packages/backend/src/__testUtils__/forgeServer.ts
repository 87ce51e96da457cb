/*
 * What the fake GitLab and GitHub share: an HTTP server on a free port of 127.0.0.1 that
 * answers a few REST routes with JSON, and serves git's smart HTTP protocol from bare
 * repositories through the real `git http-backend`, so the scaffolder's isomorphic-git pushes
 * land in real repositories that the tests then read with git.
 */
import { execFileSync, spawn } from 'node:child_process';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import path from 'node:path';

/** An answer of a REST route: JSON, or a file's raw bytes. */
export type ForgeAnswer =
  | { status: number; json: unknown }
  | { status: number; raw: Buffer };

export type ForgeRoute = {
  method: 'GET' | 'POST' | 'PUT';
  path: RegExp;
  answer(
    params: string[],
    request: { body: any; query: URLSearchParams },
  ): ForgeAnswer;
};

export type ForgeServer = {
  /** `127.0.0.1:<port>`, the integration's host. */
  host: string;
  /** `http://127.0.0.1:<port>` */
  baseUrl: string;
  stop(): Promise<void>;
};

/** Fails with a clear message where git, which serves and checks the pushes, is missing. */
export function requireGit() {
  try {
    execFileSync('git', ['--version']);
  } catch {
    throw new Error(
      'These tests need git on the PATH: the real `git http-backend` receives the pushes.',
    );
  }
}

/** A bare repository `<root>/<fullPath>.git` whose HEAD is `main`, as a forge creates it. */
export function createBareRepository(root: string, fullPath: string) {
  execFileSync('git', [
    'init',
    '--bare',
    '--quiet',
    '--initial-branch=main',
    path.join(root, `${fullPath}.git`),
  ]);
}

/** A file of a bare repository at a ref, or undefined where either is missing. */
export function readRepositoryFile(
  root: string,
  fullPath: string,
  ref: string,
  file: string,
): Buffer | undefined {
  try {
    return execFileSync(
      'git',
      [
        `--git-dir=${path.join(root, `${fullPath}.git`)}`,
        'show',
        `${ref}:${file}`,
      ],
      { stdio: ['ignore', 'pipe', 'ignore'] },
    );
  } catch {
    return undefined;
  }
}

/** Whether a bare repository has a branch, as a forge checks a review request's branches. */
export function hasBranch(root: string, fullPath: string, branch: string) {
  return (
    readRepositoryFile(root, fullPath, `refs/heads/${branch}`, '') !== undefined
  );
}

/** A pull or merge request as the fakes keep it. */
export type ReviewRequestRecord = {
  repository: string;
  number: number;
  source: string;
  target: string;
  title: string;
  body: string;
};

/**
 * The token a client presented: GitLab's PRIVATE-TOKEN header, a bearer or `token` scheme
 * (the REST clients and URL readers), or a basic password (git, as `oauth2:<token>`).
 */
function presentedToken(req: http.IncomingMessage): string | undefined {
  const privateToken = req.headers['private-token'];
  if (typeof privateToken === 'string') return privateToken;
  const [scheme, value] = (req.headers.authorization ?? '').split(' ');
  if (/^(bearer|token)$/i.test(scheme)) return value;
  if (/^basic$/i.test(scheme)) {
    return Buffer.from(value, 'base64').toString('utf8').split(':')[1];
  }
  return undefined;
}

export async function startForgeServer(options: {
  /** Where the bare repositories are. */
  root: string;
  /** The only token it accepts. */
  token: string;
  /** Its REST routes, given its base URL (which it knows once listening). */
  routes(baseUrl: string): ForgeRoute[];
}): Promise<ForgeServer> {
  let routes: ForgeRoute[] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://forge');
    if (presentedToken(req) !== options.token) {
      // git sends its credentials only once asked for them, as with a real forge.
      res.writeHead(401, { 'www-authenticate': 'Basic realm="forge"' });
      res.end();
      return;
    }
    if (/\.git(\/|$)/.test(url.pathname)) {
      serveGit(req, res, options.root, url);
      return;
    }
    answerRest(req, res, routes, url);
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const baseUrl = `http://127.0.0.1:${port}`;
  routes = options.routes(baseUrl);
  return {
    host: `127.0.0.1:${port}`,
    baseUrl,
    stop: () => new Promise(resolve => server.close(() => resolve())),
  };
}

function answerRest(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  routes: ForgeRoute[],
  url: URL,
) {
  const chunks: Buffer[] = [];
  req.on('data', chunk => chunks.push(chunk));
  req.on('end', () => {
    const text = Buffer.concat(chunks).toString('utf8');
    let answer: ForgeAnswer = {
      status: 404,
      json: { message: `${req.method} ${url.pathname} is not faked` },
    };
    for (const route of routes) {
      const match =
        route.method === req.method && url.pathname.match(route.path);
      if (match) {
        answer = route.answer(match.slice(1).map(decodeURIComponent), {
          body: text ? JSON.parse(text) : {},
          query: url.searchParams,
        });
        break;
      }
    }
    if ('raw' in answer) {
      res.writeHead(answer.status, { 'content-type': 'text/plain' });
      res.end(answer.raw);
    } else {
      res.writeHead(answer.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(answer.json));
    }
  });
}

/** Runs `git http-backend` as the CGI program it is, over the bare repositories in root. */
function serveGit(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  root: string,
  url: URL,
) {
  const cgi = spawn('git', ['http-backend'], {
    env: {
      PATH: process.env.PATH,
      GIT_PROJECT_ROOT: root,
      GIT_HTTP_EXPORT_ALL: '1',
      REMOTE_USER: 'scaffolder',
      REQUEST_METHOD: req.method,
      PATH_INFO: url.pathname,
      QUERY_STRING: url.search.replace(/^\?/, ''),
      CONTENT_TYPE: req.headers['content-type'] ?? '',
      // Without a length (a chunked request) git reads the body to its end.
      ...(req.headers['content-length'] && {
        CONTENT_LENGTH: req.headers['content-length'],
      }),
      ...(req.headers['git-protocol'] && {
        GIT_PROTOCOL: String(req.headers['git-protocol']),
      }),
      // Nothing from the machine's git config; pushes allowed, as on a forge.
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: '/dev/null',
      GIT_CONFIG_COUNT: '1',
      GIT_CONFIG_KEY_0: 'http.receivepack',
      GIT_CONFIG_VALUE_0: 'true',
    },
  });
  req.pipe(cgi.stdin);

  // A CGI answer is headers (a `Status:` among them), a blank line, then the body.
  let head = Buffer.alloc(0);
  let headersSent = false;
  cgi.stdout.on('data', (chunk: Buffer) => {
    if (headersSent) {
      res.write(chunk);
      return;
    }
    head = Buffer.concat([head, chunk]);
    const text = head.toString('latin1');
    const end = text.search(/\r?\n\r?\n/);
    if (end < 0) return;
    const separator = text.slice(end).match(/^\r?\n\r?\n/)![0];
    let status = 200;
    for (const line of text.slice(0, end).split(/\r?\n/)) {
      const [name, ...value] = line.split(':');
      if (name.toLowerCase() === 'status')
        status = parseInt(value.join(':'), 10);
      else res.setHeader(name, value.join(':').trim());
    }
    res.writeHead(status);
    headersSent = true;
    res.write(head.subarray(end + separator.length));
  });
  const stderr: Buffer[] = [];
  cgi.stderr.on('data', chunk => stderr.push(chunk));
  cgi.on('close', code => {
    if (!headersSent) {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.write(
        `git http-backend exited with ${code}: ${Buffer.concat(stderr)}`,
      );
    }
    res.end();
  });
}
