/**
 * Requests being served, counted by the server as they come and as their responses close: the
 * HPA's gauge reads the API's, and a request's events are written at once when it is alone.
 */
export class InFlightRequests {
  /** Every request, health checks and scrapes included: a drain waits for all of them. */
  all = 0;
  /** API requests (`/v1/...`), streams included. */
  api = 0;
}
