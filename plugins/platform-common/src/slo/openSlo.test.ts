import { parseAllDocuments } from 'yaml';
import { cellServiceSlos } from './cellServiceSlos';
import { toOpenSlo, toOpenSloYaml } from './openSlo';

const cell = {
  spec: {
    owner: 'group:platform-sre',
    serviceSlos: {
      'memory-service': { owner: 'group:memory-team' },
    },
  },
};

describe('toOpenSlo', () => {
  it('exports an SLO as an OpenSLO v1 SLO over Prometheus counters', () => {
    const recall = cellServiceSlos(cell).find(
      s => s.name === 'memory-service-latency',
    )!;
    expect(toOpenSlo(recall, { name: 'eu-1', tenant: 'acme' })).toEqual({
      apiVersion: 'openslo/v1',
      kind: 'SLO',
      metadata: {
        name: 'eu-1-memory-service-latency',
        displayName: 'Memory Service (recall): 95% of requests within 200 ms',
        labels: { cell: 'eu-1', service: 'memory-service', tenant: 'acme' },
      },
      spec: {
        description:
          'Memory Service (recall): 95% of requests within 200 ms, in cell eu-1; owned by group:memory-team',
        service: 'memory-service',
        indicator: {
          metadata: { name: 'eu-1-memory-service-latency-sli' },
          spec: {
            ratioMetric: {
              counter: true,
              good: {
                metricSource: {
                  type: 'Prometheus',
                  spec: {
                    query:
                      'cellport_memory_service_request_duration_seconds_bucket{cell="eu-1",le="0.2",operation="recall"}',
                  },
                },
              },
              total: {
                metricSource: {
                  type: 'Prometheus',
                  spec: {
                    query:
                      'cellport_memory_service_request_duration_seconds_count{cell="eu-1",operation="recall"}',
                  },
                },
              },
            },
          },
        },
        timeWindow: [{ duration: '28d', isRolling: true }],
        budgetingMethod: 'Occurrences',
        objectives: [
          {
            displayName:
              'Memory Service (recall): 95% of requests within 200 ms',
            target: 0.95,
          },
        ],
      },
    });
  });

  it("exports the gateway's event SLIs through the gateway's own metrics", () => {
    const availability = cellServiceSlos(cell).find(
      s => s.name === 'gateway-availability',
    )!;
    const slo = toOpenSlo(availability, { name: 'eu-1' }) as any;
    expect(slo.metadata.labels).toEqual({
      cell: 'eu-1',
      service: 'ai-gateway',
    });
    expect(
      slo.spec.indicator.spec.ratioMetric.good.metricSource.spec.query,
    ).toBe('cellport_gateway_sli_requests_total{cell="eu-1",outcome!="error"}');
    expect(slo.spec.objectives).toEqual([
      {
        displayName: 'AI Gateway: 99.95% of requests not failed by the service',
        target: 0.9995,
      },
    ]);
  });

  it('writes every SLO of a cell as one YAML document each', () => {
    const slos = cellServiceSlos(cell);
    const docs = parseAllDocuments(toOpenSloYaml(slos, { name: 'eu-1' })).map(
      d => d.toJS(),
    );
    expect(docs).toHaveLength(slos.length);
    expect(
      docs.every(d => d.apiVersion === 'openslo/v1' && d.kind === 'SLO'),
    ).toBe(true);
    expect(new Set(docs.map(d => d.metadata.name)).size).toBe(slos.length);
  });
});
