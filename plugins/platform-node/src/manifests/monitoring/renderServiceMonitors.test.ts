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
  spec: { ports: [{ name: 'http', port: 80 }] },
});

describe('renderServiceMonitors', () => {
  it('scrapes the Services that serve metrics, and only those', () => {
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
              port: 'http',
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
