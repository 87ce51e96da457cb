import { Manifest } from '@cellport/plugin-platform-node';
import http from 'node:http';
import https from 'node:https';
import { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import { KubernetesApiError } from './KubernetesApiError';
import { KubernetesCluster } from './KubernetesClusterConfig';
import { KubernetesUnreachableError } from './KubernetesUnreachableError';
import { KubernetesObject, ObjectRef } from './kubernetesObjects';

/** A resource type as discovery describes it: its URL name and whether it lives in namespaces. */
export interface ApiResource {
  /** The plural in URLs, e.g. `deployments`. */
  name: string;
  namespaced: boolean;
}

interface ApiResourceList {
  resources?: Array<{ name: string; kind: string; namespaced: boolean }>;
}

/** Items a list request asks for at a time. */
const PAGE_SIZE = 500;
/** How much of a non-JSON error body goes into a message. */
const MAX_TEXT = 300;

/**
 * The Kubernetes API calls the deploy driver makes, over node:http(s) with the cluster's CA or
 * without verification (skipTLSVerify), as the configured service account. A certificate that
 * fails verification is a KubernetesUnreachableError saying so (nothing was sent). Resource
 * paths come from discovery (`/api/v1`, `/apis/<group>/<version>`), read once per client:
 * create a client per operation so that CRDs installed meanwhile are seen.
 */
export class KubernetesApiClient {
  private readonly agent: http.Agent;
  private readonly discovery = new Map<
    string,
    Promise<Map<string, ApiResource> | undefined>
  >();

  constructor(
    private readonly cluster: KubernetesCluster,
    private readonly options: { timeoutMs: number },
  ) {
    this.agent = cluster.url.startsWith('https:')
      ? new https.Agent({
          ca: cluster.ca,
          rejectUnauthorized: !cluster.skipTLSVerify,
        })
      : new http.Agent();
  }

  /** The resource serving `kind` in `apiVersion`, or undefined when the cluster has none. */
  async resource(
    apiVersion: string,
    kind: string,
  ): Promise<ApiResource | undefined> {
    let resources = this.discovery.get(apiVersion);
    if (!resources) {
      resources = this.discover(apiVersion);
      this.discovery.set(apiVersion, resources);
      resources.catch(() => this.discovery.delete(apiVersion));
    }
    return (await resources)?.get(kind);
  }

  /** The live object, or undefined when it does not exist. */
  async get(ref: ObjectRef): Promise<KubernetesObject | undefined> {
    const path = await this.objectPath(ref);
    const { status, body } = await this.request('GET', path, {
      allowNotFound: true,
    });
    return status === 404 ? undefined : withType(body, ref);
  }

  /**
   * Server-side apply under `fieldManager`, without force: a field another manager owns with
   * another value is a 409 naming that manager (KubernetesApiError), never taken over. With
   * `dryRun`, the API server merges, defaults and validates as it would, and stores nothing:
   * the answer is the object as the apply would leave it.
   */
  async apply(
    manifest: Manifest,
    fieldManager: string,
    options: { dryRun?: boolean } = {},
  ): Promise<KubernetesObject> {
    const path = await this.objectPath(manifest);
    const query = new URLSearchParams({ fieldManager, force: 'false' });
    if (options.dryRun) query.set('dryRun', 'All');
    const { body } = await this.request('PATCH', `${path}?${query}`, {
      // Apply patches are YAML; JSON is YAML.
      contentType: 'application/apply-patch+yaml',
      body: JSON.stringify(manifest),
    });
    return withType(body, manifest);
  }

  /**
   * Every object of a type, in all namespaces, matching a label selector. A type the cluster
   * does not serve has no objects.
   */
  async list(
    apiVersion: string,
    kind: string,
    labelSelector: string,
  ): Promise<KubernetesObject[]> {
    const resource = await this.resource(apiVersion, kind);
    if (!resource) return [];
    const items: KubernetesObject[] = [];
    let next: string | undefined;
    do {
      const query = new URLSearchParams({
        labelSelector,
        limit: String(PAGE_SIZE),
      });
      if (next) query.set('continue', next);
      const { body } = await this.request(
        'GET',
        `${apiBase(apiVersion)}/${resource.name}?${query}`,
      );
      const page = body as {
        items?: KubernetesObject[];
        metadata?: { continue?: string };
      };
      // List items carry neither apiVersion nor kind.
      items.push(
        ...(page.items ?? []).map(item => ({ ...item, apiVersion, kind })),
      );
      next = page.metadata?.continue || undefined;
    } while (next);
    return items;
  }

  /** Deletes an object; its dependents go in the background. `absent` if it was not there. */
  async remove(ref: ObjectRef): Promise<'deleted' | 'absent'> {
    const path = await this.objectPath(ref);
    const { status } = await this.request(
      'DELETE',
      `${path}?propagationPolicy=Background`,
      { allowNotFound: true },
    );
    return status === 404 ? 'absent' : 'deleted';
  }

  private async discover(
    apiVersion: string,
  ): Promise<Map<string, ApiResource> | undefined> {
    const { status, body } = await this.request('GET', apiBase(apiVersion), {
      allowNotFound: true,
    });
    if (status === 404) return undefined;
    const resources = new Map<string, ApiResource>();
    for (const resource of (body as ApiResourceList).resources ?? []) {
      // Subresources (deployments/scale, pods/log) share their parent's kind.
      if (resource.name.includes('/')) continue;
      resources.set(resource.kind, {
        name: resource.name,
        namespaced: resource.namespaced,
      });
    }
    return resources;
  }

  private async objectPath(ref: ObjectRef): Promise<string> {
    const resource = await this.resource(ref.apiVersion, ref.kind);
    if (!resource) {
      throw new KubernetesApiError(
        `the cluster serves no ${ref.kind} in ${ref.apiVersion}`,
        404,
        'NotFound',
      );
    }
    const name = encodeURIComponent(ref.metadata.name);
    const namespace = resource.namespaced
      ? `/namespaces/${encodeURIComponent(ref.metadata.namespace ?? 'default')}`
      : '';
    return `${apiBase(ref.apiVersion)}${namespace}/${resource.name}/${name}`;
  }

  private request(
    method: string,
    path: string,
    options: {
      body?: string;
      contentType?: string;
      allowNotFound?: boolean;
    } = {},
  ): Promise<{ status: number; body: unknown }> {
    const { url, token } = this.cluster;
    const target = new URL(`${url}${path}`);
    const transport = target.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
      let connected = false;
      let socket: Socket | undefined;
      const unreachable = (cause: Error) =>
        reject(
          new KubernetesUnreachableError(
            noAnswerMessage(this.cluster, cause, {
              connected,
              // Node sets it on a TLS socket whose peer's certificate failed verification.
              certificateRejected: Boolean(
                (socket as TLSSocket | undefined)?.authorizationError,
              ),
            }),
            connected,
          ),
        );
      const req = transport.request(
        target,
        {
          method,
          agent: this.agent,
          headers: {
            Accept: 'application/json',
            ...(token ? { Authorization: `Bearer ${token}` } : {}),
            ...(options.body !== undefined
              ? {
                  'Content-Type': options.contentType ?? 'application/json',
                  'Content-Length': Buffer.byteLength(options.body),
                }
              : {}),
          },
        },
        res => {
          const chunks: Buffer[] = [];
          res.on('data', chunk => chunks.push(chunk));
          res.on('error', unreachable);
          res.on('end', () => {
            const status = res.statusCode ?? 0;
            const body = parseBody(Buffer.concat(chunks).toString('utf8'));
            if (status < 400 || (status === 404 && options.allowNotFound)) {
              resolve({ status, body });
            } else {
              reject(apiError(method, target.pathname, status, body));
            }
          });
        },
      );
      req.on('socket', s => {
        socket = s;
        // A request counts as sent once its connection (and TLS handshake) is up.
        if (!s.connecting) connected = true;
        else
          s.once(
            target.protocol === 'https:' ? 'secureConnect' : 'connect',
            () => (connected = true),
          );
      });
      req.setTimeout(this.options.timeoutMs, () =>
        req.destroy(new Error(`no answer within ${this.options.timeoutMs} ms`)),
      );
      req.on('error', unreachable);
      req.end(options.body);
    });
  }
}

/** Why a cluster gave no answer, naming it and its URL, never its credentials. */
function noAnswerMessage(
  cluster: KubernetesCluster,
  cause: Error,
  state: { connected: boolean; certificateRejected: boolean },
): string {
  const { name, url, ca } = cluster;
  if (state.certificateRejected) {
    const advice = ca
      ? 'The CA in caData or caFile did not verify its certificate'
      : "Give the CA that signed the API server's certificate as caData or caFile";
    return `Cluster "${name}" (${url}): TLS verification failed: ${cause.message}. ${advice}`;
  }
  return `Cluster "${name}" (${url}) ${
    state.connected ? 'did not answer' : 'is unreachable'
  }: ${cause.message}`;
}

/** `/api/v1` for the core group, `/apis/<group>/<version>` for the others. */
function apiBase(apiVersion: string): string {
  return apiVersion.includes('/')
    ? `/apis/${apiVersion}`
    : `/api/${apiVersion}`;
}

function parseBody(text: string): unknown {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return text;
  }
}

function apiError(
  method: string,
  path: string,
  status: number,
  body: unknown,
): KubernetesApiError {
  const statusObject = body as { message?: string; reason?: string };
  const detail =
    typeof body === 'string'
      ? body.slice(0, MAX_TEXT)
      : statusObject?.message ?? '';
  return new KubernetesApiError(
    `${method} ${path}: ${status}${
      statusObject?.reason ? ` ${statusObject.reason}` : ''
    }${detail ? `: ${detail}` : ''}`,
    status,
    statusObject?.reason,
  );
}

/** Objects read back keep the type they were asked as. */
function withType(body: unknown, ref: ObjectRef): KubernetesObject {
  return {
    ...(body as KubernetesObject),
    apiVersion: ref.apiVersion,
    kind: ref.kind,
  };
}
