/** The gateway's gauge its HPA scales on, exported by `GatewayMetrics` in runtime/gateway. */
export const GATEWAY_IN_FLIGHT_METRIC = 'cellport_gateway_in_flight_requests';

/** One prometheus-adapter custom-metrics rule (the adapter's `rules` config). */
export interface PrometheusAdapterRule {
  seriesQuery: string;
  resources: {
    overrides: Record<string, { resource: string }>;
  };
  name: { matches: string; as: string };
  metricsQuery: string;
}

/**
 * The prometheus-adapter rule that serves the gateway's in-flight gauge to its HPA as a Pods
 * metric. Series come from the gateway's ServiceMonitor, which labels them with the pod's
 * namespace and name; the HPA asks per pod and averages. The rule is the same in every cell,
 * so the copies beside each cell merge into one adapter's config without conflict.
 */
export function gatewayAdapterRules(): { rules: PrometheusAdapterRule[] } {
  return {
    rules: [
      {
        seriesQuery: `${GATEWAY_IN_FLIGHT_METRIC}{namespace!="",pod!=""}`,
        resources: {
          overrides: {
            namespace: { resource: 'namespace' },
            pod: { resource: 'pod' },
          },
        },
        name: {
          matches: `^${GATEWAY_IN_FLIGHT_METRIC}$`,
          as: GATEWAY_IN_FLIGHT_METRIC,
        },
        // A gauge: the current value per pod, not a rate.
        metricsQuery: 'sum(<<.Series>>{<<.LabelMatchers>>}) by (<<.GroupBy>>)',
      },
    ],
  };
}
