/**
 * Why an SLI could not be read from Prometheus: `unreachable` when no answer came (refused,
 * timed out), `query-failed` when Prometheus answered with an error. The SLO cards show the
 * message instead of figures; the report itself never fails for it.
 */
export class PrometheusUnavailableError extends Error {
  constructor(
    readonly reason: 'unreachable' | 'query-failed',
    message: string,
  ) {
    super(message);
    this.name = 'PrometheusUnavailableError';
  }
}
