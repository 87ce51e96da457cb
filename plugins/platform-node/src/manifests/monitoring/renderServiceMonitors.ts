import { Manifest } from '../types';

/** The components whose Services serve Prometheus metrics, and the port that serves them. */
const SCRAPED_COMPONENTS: Record<string, { interval: string; port: string }> = {
  // The gateway's SLIs feed burn-rate alerts; a 15 s scrape keeps the 5 m window
  // meaningful. Its metrics have a port of their own, apart from the tenants' API.
  gateway: { interval: '15s', port: 'metrics' },
  // vLLM's queue depth drives its HPA through prometheus-adapter.
  inference: { interval: '15s', port: 'http' },
};

/**
 * Every scraped series carries its cell as `cell`, from the Service's `cellport.dev/cell`
 * label: the SLO rules select a cell's series by it, whichever namespace or cluster serves it.
 */
const CELL_LABEL = {
  sourceLabels: ['__meta_kubernetes_service_label_cellport_dev_cell'],
  targetLabel: 'cell',
};

/**
 * A prometheus-operator ServiceMonitor for every rendered Service of a component that serves
 * `/metrics` (the gateway, vLLM), selecting the Service by its own labels. Rendered apart from
 * the workloads because only clusters running prometheus-operator have the CRD: deploy/ lists
 * them in each directory's `monitoring.yaml`.
 */
export function renderServiceMonitors(manifests: Manifest[]): Manifest[] {
  return manifests.flatMap(manifest => {
    const component = manifest.metadata.labels?.['app.kubernetes.io/component'];
    const scrape = component ? SCRAPED_COMPONENTS[component] : undefined;
    if (manifest.kind !== 'Service' || !scrape) return [];
    const labels = manifest.metadata.labels!;
    return [
      {
        apiVersion: 'monitoring.coreos.com/v1',
        kind: 'ServiceMonitor',
        metadata: {
          name: manifest.metadata.name,
          namespace: manifest.metadata.namespace,
          labels: { ...labels },
        },
        spec: {
          // Copies, so the YAML is written out in full rather than with anchors.
          selector: { matchLabels: { ...labels } },
          namespaceSelector: { matchNames: [manifest.metadata.namespace!] },
          endpoints: [
            {
              port: scrape.port,
              path: '/metrics',
              interval: scrape.interval,
              relabelings: [CELL_LABEL],
            },
          ],
        },
      },
    ];
  });
}
