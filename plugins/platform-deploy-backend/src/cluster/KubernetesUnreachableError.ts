/**
 * No answer from the API server. `sent` tells whether the request may have reached it: a
 * refused connection or unknown host was never sent (nothing changed), while a connection that
 * broke or timed out after sending leaves the outcome unknown. The message names the cluster
 * and its URL, never the credentials.
 */
export class KubernetesUnreachableError extends Error {
  readonly name = 'KubernetesUnreachableError';

  constructor(message: string, readonly sent: boolean) {
    super(message);
  }
}
