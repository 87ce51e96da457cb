/**
 * The API server answered with an error status. `message` is the server's own (a Kubernetes
 * `Status` message such as `Apply failed with 1 conflict: conflict with "kubectl" using
 * apps/v1: .spec.replicas`), prefixed with the request it answered.
 */
export class KubernetesApiError extends Error {
  readonly name = 'KubernetesApiError';

  constructor(
    message: string,
    readonly status: number,
    /** The Status `reason`, e.g. `Conflict`, `NotFound`, `Forbidden`. */
    readonly reason?: string,
  ) {
    super(message);
  }
}
