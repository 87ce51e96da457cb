import { ApiException } from '@kubernetes/client-node';
import { ConnectionState } from './ConnectionWatch';
import { KubernetesApiError } from './KubernetesApiError';
import { KubernetesCluster } from './KubernetesClusterConfig';
import { KubernetesUnreachableError } from './KubernetesUnreachableError';

export interface FailedRequest {
  cluster: KubernetesCluster;
  method: string;
  /** The URL path, without the query. */
  path: string;
  timeoutMs: number;
  connection: ConnectionState;
}

/**
 * What a failed client-node request means to the deploy driver: an error answer is a
 * KubernetesApiError with the API server's status and message; no answer (refused, reset,
 * timed out, certificate rejected) is a KubernetesUnreachableError naming the cluster and its
 * URL, sent or not as its connection tells. Anything else is a bug and passes unchanged.
 *
 * These messages reach callers (plan and status answers, apply results, the audit log), so
 * they hold only what the configuration names: never the token, the URL's user, password or
 * query, an address the socket resolved, or a body that is not the API server's Status.
 */
export async function clusterError(
  error: unknown,
  request: FailedRequest,
): Promise<unknown> {
  if (error instanceof ApiException) {
    return apiError(request, error.code, await error.body);
  }
  const failure = error as { name?: string; message?: string };
  if (failure?.name === 'AbortError') {
    return unreachable(request, `no answer within ${request.timeoutMs} ms`);
  }
  if (failure?.name === 'FetchError') {
    return unreachable(request, reason(failure));
  }
  return error;
}

function apiError(
  { method, path }: FailedRequest,
  status: number,
  body: unknown,
): KubernetesApiError {
  const parsed = parseBody(body) as
    | { kind?: unknown; message?: string; reason?: string }
    | undefined;
  // The API server answers every error with a Status. Any other body was written by what
  // stands in front of it (a proxy, a load balancer), and may echo the request's headers (the
  // token) or name internal hosts: its status is said, its words are not.
  const statusObject = parsed?.kind === 'Status' ? parsed : undefined;
  const detail =
    statusObject?.message ??
    (parsed === undefined ? '' : 'the answer is not a Kubernetes Status');
  return new KubernetesApiError(
    `${method} ${path}: ${status}${
      statusObject?.reason ? ` ${statusObject.reason}` : ''
    }${detail ? `: ${detail}` : ''}`,
    status,
    statusObject?.reason,
  );
}

/** Why a cluster gave no answer, naming it and its URL, never its credentials. */
function unreachable(
  { cluster, connection }: FailedRequest,
  cause: string,
): KubernetesUnreachableError {
  const { name, ca } = cluster;
  const url = publicUrl(cluster.url);
  if (connection.certificateRejected) {
    const advice = ca
      ? 'The CA in caData or caFile did not verify its certificate'
      : "Give the CA that signed the API server's certificate as caData or caFile";
    return new KubernetesUnreachableError(
      `Cluster "${name}" (${url}): TLS verification failed: ${cause}. ${advice}`,
      false,
    );
  }
  return new KubernetesUnreachableError(
    `Cluster "${name}" (${url}) ${
      connection.connected ? 'did not answer' : 'is unreachable'
    }: ${cause}`,
    connection.connected,
  );
}

/**
 * Why node-fetch got no answer: a socket error's code (its message ends in the address the
 * host resolved to), else node-fetch's words without the URLs it puts in them ("request to
 * <url> failed, reason: …"), such as a certificate's verification error.
 */
function reason(failure: { message?: string; code?: string }): string {
  if (/^E[A-Z]+$/.test(failure.code ?? '')) return failure.code!;
  return (failure.message ?? '')
    .replace(
      /^(?:request to \S+ failed, reason: |Invalid response body while trying to fetch \S+: )/,
      '',
    )
    .replace(/\bhttps?:\/\/\S+/g, '<the cluster>');
}

/** Where the cluster is, as a message may say it: no user, password, query or fragment. */
function publicUrl(url: string): string {
  try {
    const { origin, pathname } = new URL(url);
    return pathname === '/' ? origin : `${origin}${pathname}`;
  } catch {
    return 'an invalid URL';
  }
}

function parseBody(body: unknown): unknown {
  if (typeof body !== 'string') return body;
  try {
    return body ? JSON.parse(body) : undefined;
  } catch {
    return body;
  }
}
