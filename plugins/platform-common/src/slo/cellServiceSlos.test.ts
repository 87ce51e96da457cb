import { validatePlatformEntity } from '../kinds/registry';
import { cellServiceSlos, cellSloTenant } from './cellServiceSlos';
import { RUNTIME_SERVICE_IDS } from './runtimeServices';
import { sliErrorRatioQuery } from './sliQueries';

const cell = (spec: Record<string, unknown> = {}) => ({
  apiVersion: 'cellport.dev/v1alpha1',
  kind: 'Cell',
  metadata: {
    name: 'eu-1',
    annotations: { 'backstage.io/kubernetes-id': 'eu-1' },
  },
  spec: {
    owner: 'group:platform-sre',
    tier: 'dedicated',
    cloud: 'aws',
    region: 'eu-west-1',
    cluster: 'eks-eu-1',
    namespaces: ['cellport-runtime'],
    capacity: { maxTenants: 1, maxRequestsPerSecond: 100 },
    tenants: ['tenant:default/acme'],
    ...spec,
  },
});

function parsed(spec: Record<string, unknown> = {}) {
  const result = validatePlatformEntity('Cell', cell(spec));
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.entity;
}

function issues(spec: Record<string, unknown>) {
  const result = validatePlatformEntity('Cell', cell(spec));
  return result.ok ? [] : result.issues;
}

describe('cellServiceSlos', () => {
  it("gives every runtime service of seed 001's table its row by default", () => {
    const slos = cellServiceSlos(parsed());
    expect(new Set(slos.map(s => s.service))).toEqual(
      new Set(RUNTIME_SERVICE_IDS),
    );
    expect(new Set(slos.map(s => s.name)).size).toBe(slos.length);
    expect(slos.find(s => s.name === 'audit-store-availability')).toEqual({
      service: 'audit-store',
      name: 'audit-store-availability',
      indicator: 'availability',
      target: 0.9999,
      window: '28d',
      owner: 'group:platform-sre',
      sli: {
        kind: 'ratio',
        good: 'cellport_audit_store_requests_total{outcome!="error"}',
        total: 'cellport_audit_store_requests_total',
      },
      source: 'default',
    });
    expect(slos.find(s => s.name === 'tool-gateway-latency')).toMatchObject({
      thresholdMs: 1500,
      target: 0.95,
      sli: {
        kind: 'histogram',
        histogram: 'cellport_tool_gateway_request_duration_seconds',
      },
    });
    // The gateway and router keep their event SLIs (the portal's DEFAULT_SLOS).
    expect(
      slos.filter(s => s.sli.kind === 'events').map(s => [s.service, s.name]),
    ).toEqual([
      ['ai-gateway', 'gateway-availability'],
      ['ai-gateway', 'gateway-overhead-p95'],
      ['llm-router', 'router-decision-p95'],
    ]);
  });

  it('takes per-service overrides: owner, target, threshold, SLI, a service the cell does not run', () => {
    const slos = cellServiceSlos(
      parsed({
        serviceSlos: {
          'memory-service': {
            owner: 'group:memory-team',
            latency: {
              thresholdMs: 150,
              sli: {
                kind: 'histogram',
                histogram: 'recall_seconds{path="/recall"}',
                buckets: [0.1, 0.2],
              },
            },
          },
          'tool-gateway': { enabled: false },
          'audit-store': {
            availability: {
              target: 0.99999,
              window: '30d',
              sli: {
                kind: 'ratio',
                good: 'audit_writes_total{result="ok"}',
                total: 'audit_writes_total',
              },
            },
          },
        },
      }),
    );
    expect(slos.some(s => s.service === 'tool-gateway')).toBe(false);
    const recall = slos.find(s => s.name === 'memory-service-latency')!;
    expect(recall).toMatchObject({
      owner: 'group:memory-team',
      thresholdMs: 150,
      source: 'entity',
    });
    // 150 ms halfway between the 0.1 and 0.2 buckets.
    expect(sliErrorRatioQuery(recall, 'eu-1', '5m')).toBe(
      '1 - ((sum(rate(recall_seconds_bucket{cell="eu-1",le="0.1",path="/recall"}[5m]))' +
        ' + (sum(rate(recall_seconds_bucket{cell="eu-1",le="0.2",path="/recall"}[5m]))' +
        ' - sum(rate(recall_seconds_bucket{cell="eu-1",le="0.1",path="/recall"}[5m]))) * 0.5)' +
        ' / sum(rate(recall_seconds_count{cell="eu-1",path="/recall"}[5m])))',
    );
    // The owner moves with the service: its availability goes to the memory team too.
    expect(
      slos.find(s => s.name === 'memory-service-availability')!.owner,
    ).toBe('group:memory-team');
    const audit = slos.find(s => s.name === 'audit-store-availability')!;
    expect(audit).toMatchObject({ target: 0.99999, window: '30d' });
    expect(sliErrorRatioQuery(audit, 'eu-1', '1h')).toBe(
      '1 - (sum(rate(audit_writes_total{cell="eu-1",result="ok"}[1h])) / sum(rate(audit_writes_total{cell="eu-1"}[1h])))',
    );
  });

  it("holds the gateway and router to the Cell's spec.slos, all of them", () => {
    const slos = cellServiceSlos(
      parsed({
        slos: [
          {
            name: 'router-p99',
            indicator: 'latency',
            metric: 'router-decision',
            thresholdMs: 25,
            target: 0.99,
          },
        ],
      }),
    );
    expect(slos.filter(s => s.sli.kind === 'events')).toEqual([
      expect.objectContaining({
        service: 'llm-router',
        name: 'router-p99',
        source: 'entity',
      }),
    ]);
    // A whole-number bucket matches as a client ("1") and Prometheus 3 ("1.0") write it.
    const ttft = cellServiceSlos(
      parsed({
        slos: [
          {
            name: 'ttft',
            indicator: 'latency',
            metric: 'time-to-first-token',
            thresholdMs: 1000,
            target: 0.95,
          },
        ],
      }),
    ).find(s => s.name === 'ttft')!;
    expect(sliErrorRatioQuery(ttft, 'eu-1', '5m')).toContain(
      'cellport_gateway_ttft_seconds_bucket{cell="eu-1",le=~"1(\\\\.0)?"}',
    );
  });

  it('refuses bad overrides with the field named', () => {
    expect(
      issues({ serviceSlos: { 'ai-gateway': { owner: 'group:x' } } }),
    ).toEqual([
      expect.objectContaining({
        path: expect.stringMatching(/^spec\.serviceSlos/),
      }),
    ]);
    expect(
      issues({
        serviceSlos: { 'memory-service': { latency: { target: 1.5 } } },
      }),
    ).toEqual([
      {
        path: 'spec.serviceSlos.memory-service.latency.target',
        message: 'must be a fraction between 0 and 1, e.g. 0.9995',
      },
    ]);
    expect(
      issues({ serviceSlos: { 'memory-service': { latencyy: {} } } }),
    ).toEqual([
      {
        path: 'spec.serviceSlos.memory-service',
        message: 'unknown field latencyy',
      },
    ]);
    // An SLI is a series selector, never a PromQL expression smuggled into every rule.
    for (const hostile of [
      'up or vector(1)',
      'x_total{outcome="error"} or vector(0)',
      'x_total{cell="other-cell"}',
      'x_total{le="0.1"}',
      'x_total{a="unterminated}',
      'x_total{a="1"}}',
      'x_total{a=~"."',
      'запросы_total',
    ]) {
      expect(
        issues({
          serviceSlos: {
            'policy-engine': {
              availability: {
                sli: { kind: 'ratio', good: hostile, total: 'x_total' },
              },
            },
          },
        }),
      ).toEqual([
        expect.objectContaining({
          path: 'spec.serviceSlos.policy-engine.availability.sli.good',
        }),
      ]);
    }
    // Non-ASCII and escaped quotes inside a label value are fine: the value is quoted.
    const sli = (good: string) => ({
      serviceSlos: {
        'policy-engine': {
          availability: { sli: { kind: 'ratio', good, total: 'x_total' } },
        },
      },
    });
    expect(issues(sli('x_total{region="é\\"t, ok"}'))).toEqual([]);
    expect(issues(sli('x_total{région="é"}'))).toEqual([
      expect.objectContaining({
        message: expect.stringContaining('label matcher'),
      }),
    ]);
    expect(
      issues({
        serviceSlos: {
          'policy-engine': {
            latency: {
              sli: {
                kind: 'histogram',
                histogram: 'h_seconds_bucket',
                buckets: [0.2, 0.1],
              },
            },
          },
        },
      }),
    ).toEqual([
      {
        path: 'spec.serviceSlos.policy-engine.latency.sli.histogram',
        message: expect.stringContaining('base name'),
      },
      {
        path: 'spec.serviceSlos.policy-engine.latency.sli.buckets',
        message: 'must be in ascending order, each bound once',
      },
    ]);
  });

  it('names the tenant of a single-tenant cell only', () => {
    expect(cellSloTenant(parsed())).toBe('acme');
    expect(
      cellSloTenant(
        parsed({
          tier: 'shared',
          tenants: ['a', 'b'],
          capacity: { maxTenants: 5, maxRequestsPerSecond: 1 },
        }),
      ),
    ).toBeUndefined();
  });
});
