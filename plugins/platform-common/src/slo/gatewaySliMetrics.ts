import { LatencyMetric } from '../kinds/slo';

/**
 * The gateway's Prometheus counterparts of the events the portal computes its SLIs from, so
 * that rules measure what the portal's cards show. Availability counts what the events count:
 * requests of an authenticated tenant; refusals before authentication yield no event, so they
 * stay out of the Prometheus SLI too.
 *
 * The SLI reads a counter of its own, labelled by outcome alone, whose every outcome's series
 * the gateway creates at 0 when it starts: rate() and increase() never count a series' first
 * sample, so the first error of a series made at that error (as each tenant, model and status
 * of `cellport_gateway_requests_total` is) would never reach the error ratio.
 */
export const GATEWAY_SLI_REQUESTS_METRIC =
  'cellport_gateway_sli_requests_total';
export const GATEWAY_AVAILABILITY_SLI = {
  good: `${GATEWAY_SLI_REQUESTS_METRIC}{outcome!="error"}`,
  total: GATEWAY_SLI_REQUESTS_METRIC,
};

/** The gateway's latency histograms and their bucket bounds in seconds, per latency metric. */
export const GATEWAY_LATENCY_HISTOGRAMS: Record<
  LatencyMetric,
  { histogram: string; buckets: number[] }
> = {
  'gateway-overhead': {
    histogram: 'cellport_gateway_overhead_seconds',
    buckets: [
      0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
      0.3,
    ],
  },
  upstream: {
    histogram: 'cellport_gateway_upstream_latency_seconds',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
  },
  'time-to-first-token': {
    histogram: 'cellport_gateway_ttft_seconds',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  },
  'router-decision': {
    histogram: 'cellport_gateway_router_decision_seconds',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
  },
};
