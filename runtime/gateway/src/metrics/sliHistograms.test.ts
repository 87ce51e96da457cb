import { GATEWAY_LATENCY_HISTOGRAMS } from '@cellport/plugin-platform-common';
import { GatewayMetrics } from './GatewayMetrics';

describe("the gateway's latency histograms", () => {
  it('have the buckets the SLO rules interpolate their thresholds between', async () => {
    const metrics = new GatewayMetrics();
    // A labelled histogram exposes no bucket before its first observation.
    metrics.upstreamLatency.observe({ model: 'probe' }, 0);
    metrics.timeToFirstToken.observe({ model: 'probe' }, 0);
    const exposition = await metrics.registry.metrics();
    for (const { histogram, buckets } of Object.values(
      GATEWAY_LATENCY_HISTOGRAMS,
    )) {
      const bounds = [
        ...exposition.matchAll(
          new RegExp(`^${histogram}_bucket\\{.*?le="([^"]+)"`, 'gm'),
        ),
      ]
        .map(([, le]) => le)
        .filter(le => le !== '+Inf')
        .map(Number);
      expect({ histogram, buckets: bounds }).toEqual({ histogram, buckets });
    }
  });
});
