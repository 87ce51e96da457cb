import { renderServiceMonitors } from './renderServiceMonitors';
import { validateManifests } from '../validateManifests';
import { Manifest } from '../types';

const service = (component: string, name: string): Manifest => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: {
    name,
    namespace: 'cellport-runtime',
    labels: { 'app.kubernetes.io/component': component },
  },
  spec: {
    ports: [
      { name: 'http', port: 80 },
      { name: 'metrics', port: 9464 },
    ],
  },
});

describe('renderServiceMonitors', () => {
  it('scrapes the Services that serve metrics, and only those, on their metrics port', () => {
    const monitors = renderServiceMonitors([
      service('gateway', 'cellport-gateway'),
      service('tenant', 'something-else'),
      { ...service('gateway', 'not-a-service'), kind: 'Deployment' },
    ]);
    expect(monitors).toEqual([
      expect.objectContaining({
        kind: 'ServiceMonitor',
        metadata: expect.objectContaining({
          name: 'cellport-gateway',
          namespace: 'cellport-runtime',
        }),
        spec: {
          selector: {
            matchLabels: { 'app.kubernetes.io/component': 'gateway' },
          },
          namespaceSelector: { matchNames: ['cellport-runtime'] },
          endpoints: [
            {
              // The gateway's own metrics port: tenants reach only its API's.
              port: 'metrics',
              path: '/metrics',
              interval: '15s',
              relabelings: [
                {
                  sourceLabels: [
                    '__meta_kubernetes_service_label_cellport_dev_cell',
                  ],
                  targetLabel: 'cell',
                },
              ],
            },
          ],
        },
      }),
    ]);
    expect(validateManifests(monitors)).toEqual([]);
    // vLLM serves its metrics on its API's port.
    const [vllm] = renderServiceMonitors([service('inference', 'qwen')]);
    expect((vllm.spec as any).endpoints[0].port).toBe('http');
  });

  it('is checked against the ServiceMonitor schema', () => {
    const [monitor] = renderServiceMonitors([service('inference', 'qwen')]);
    const broken = {
      ...monitor,
      spec: { ...(monitor.spec as object), endpoints: 'not-a-list' },
    };
    expect(validateManifests([broken])).toEqual([
      expect.objectContaining({ object: 'ServiceMonitor/qwen' }),
    ]);
  });
});
