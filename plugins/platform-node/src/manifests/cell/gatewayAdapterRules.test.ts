import type { HorizontalPodAutoscaler } from 'kubernetes-types/autoscaling/v2';
import { gatewayAdapterRules } from './gatewayAdapterRules';
import { gatewayManifests } from './gatewayManifests';

describe('gatewayAdapterRules', () => {
  it('serves every Pods metric the gateway HPA scales on', () => {
    const hpa = gatewayManifests({
      cell: 'c',
      kubernetesId: 'c',
      namespace: 'cellport-runtime',
      image: 'gateway:test',
      minReplicas: 2,
      maxReplicas: 8,
    }).find(
      m => m.kind === 'HorizontalPodAutoscaler',
    ) as HorizontalPodAutoscaler;
    const podMetrics = (hpa.spec!.metrics ?? [])
      .filter(m => m.type === 'Pods')
      .map(m => m.pods!.metric.name);
    expect(podMetrics).toEqual(['cellport_gateway_in_flight_requests']);
    const { rules } = gatewayAdapterRules();
    for (const metric of podMetrics) {
      const rule = rules.find(r => r.name.as === metric);
      expect(rule).toBeDefined();
      // The series it reads is the one the gateway exports, per pod and namespace.
      expect(rule!.seriesQuery.startsWith(`${metric}{`)).toBe(true);
      expect(new RegExp(rule!.name.matches).test(metric)).toBe(true);
      expect(Object.keys(rule!.resources.overrides).sort()).toEqual([
        'namespace',
        'pod',
      ]);
    }
  });
});
