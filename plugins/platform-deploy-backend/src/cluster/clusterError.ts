import { ApiException } from '@kubernetes/client-node';
import { ConnectionState } from './ConnectionWatch';
import { KubernetesApiError } from './KubernetesApiError';
import { KubernetesCluster } from './KubernetesClusterConfig';
import { KubernetesUnreachableError } from './KubernetesUnreachableError';

/** How much of a non-JSON error body goes into a message. */
const MAX_TEXT = 300;

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
 * URL, never its credentials, sent or not as its connection tells. Anything else is a bug and
 * passes unchanged.
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
    return unreachable(request, reason(failure.message ?? ''));
  }
  return error;
}

function apiError(
  { method, path }: FailedRequest,
  status: number,
  body: unknown,
): KubernetesApiError {
  const parsed = parseBody(body);
  const statusObject = parsed as { message?: string; reason?: string };
  const detail =
    typeof parsed === 'string'
      ? parsed.slice(0, MAX_TEXT)
      : statusObject?.message ?? '';
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
  const { name, url, ca } = cluster;
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

/** node-fetch wraps the socket's error as "request to <url> failed, reason: <error>". */
function reason(message: string): string {
  return message.replace(
    /^(?:request to \S+ failed, reason: |Invalid response body while trying to fetch \S+: )/,
    '',
  );
}

function parseBody(body: unknown): unknown {
  if (typeof body !== 'string') return body;
  try {
    return body ? JSON.parse(body) : undefined;
  } catch {
    return body;
  }
}
